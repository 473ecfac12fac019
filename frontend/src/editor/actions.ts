// Callbacks that canvas nodes need from the editor, passed by context so node data stays plain.
import { createContext } from "react";
import type { Awareness } from "y-protocols/awareness";
import type * as Y from "yjs";
import type { GraphComment } from "../graph/document";
import type { TextPlace } from "../graph/shared";

/** The shared texts (code params, comment text) of an editable page. */
export interface SharedTexts {
  /** The Y.Text at a place; null when there is none (yet). */
  find: (at: TextPlace) => Y.Text | null;
  /** Presence: carries the cursors in code editors. */
  awareness: Awareness;
  /** Write what was typed as my edit (undo takes it back; `key` groups typing into one step). */
  edit: (text: Y.Text, value: string, key: string) => void;
  /** Take back my last edit / put it back (a textarea's own undo knows nothing of the others'). */
  undo: () => void;
  redo: () => void;
}

export interface EditorActionsValue {
  preview: (node: string, port: string) => void;
  updateComment: (id: string, changes: Partial<Omit<GraphComment, "id">>) => void;
  /** Null while the page is read-only (a viewer, a version shown, not loaded yet). */
  shared: SharedTexts | null;
}

export const EditorActions = createContext<EditorActionsValue>({
  preview: () => undefined,
  updateComment: () => undefined,
  shared: null,
});
