// Callbacks that canvas nodes need from the editor, passed by context so node data stays plain.
import { createContext } from "react";
import type { GraphComment } from "../graph/document";

export interface EditorActionsValue {
  preview: (node: string, port: string) => void;
  updateComment: (id: string, changes: Partial<Omit<GraphComment, "id">>) => void;
}

export const EditorActions = createContext<EditorActionsValue>({
  preview: () => undefined,
  updateComment: () => undefined,
});
