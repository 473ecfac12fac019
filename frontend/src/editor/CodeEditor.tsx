// The code editor of code params: CodeMirror 6 with Python or SQL highlighting, line numbers,
// wrapped long lines, a frame you can resize by its corner, and the line an error points at marked.
// Given the param's shared text (a Y.Text), it is bound to it (y-codemirror.next): everyone's
// typing merges character by character, others' cursors show, and undo takes back mine only.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { sql } from "@codemirror/lang-sql";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { Compartment, EditorState, StateEffect, StateField, type Extension } from "@codemirror/state";
import { Decoration, EditorView, keymap, lineNumbers, type DecorationSet } from "@codemirror/view";
import { useEffect, useRef } from "react";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import type { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { textEdit } from "../graph/text";

/** The shared text a code editor edits, and the presence that carries cursors. */
export interface SharedCode {
  text: Y.Text;
  awareness: Awareness | null;
}

interface Props {
  /** Shown (and followed) when there is no shared text: a version viewed, a read-only page. */
  value: string;
  /** The shared text to bind to; edits then go to it, not through onChange. */
  shared?: SharedCode | null;
  language: string | undefined;
  onChange: (value: string) => void;
  readOnly: boolean;
  id: string;
  testId?: string;
  /** A line to mark (1-based): where the last run's error points. */
  errorLine?: number;
}

const markError = StateEffect.define<number | null>();
const errorMark = Decoration.line({ class: "cm-error-line", attributes: { "data-testid": "code-error-line" } });

/** The marked error line, kept while the text around it changes. */
const errorLineField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    let next = marks.map(tr.changes);
    for (const effect of tr.effects) {
      if (!effect.is(markError)) continue;
      const line = effect.value;
      next = line !== null && line >= 1 && line <= tr.state.doc.lines ? Decoration.set([errorMark.range(tr.state.doc.line(line).from)]) : Decoration.none;
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

function languageOf(language: string | undefined): Extension {
  return language === "sql" ? sql() : python();
}

/** Replace the editor's text by the smallest change (the caret stays where it was). */
function showText(view: EditorView, value: string): void {
  const { index, remove, insert } = textEdit(view.state.doc.toString(), value);
  if (remove > 0 || insert) view.dispatch({ changes: { from: index, to: index + remove, insert } });
}

/** Editing on its own (CodeMirror's history), or bound to a shared text (its own undo manager
 * tracking only this binding's typing: Ctrl+Z takes back mine, never someone else's). */
function editing(shared: SharedCode | null | undefined): { extension: Extension; undo: Y.UndoManager | null } {
  if (!shared) return { extension: [history(), keymap.of(historyKeymap)], undo: null };
  const undo = new Y.UndoManager(shared.text, { trackedOrigins: new Set() }); // yCollab adds its own origin
  return { extension: [keymap.of(yUndoManagerKeymap), yCollab(shared.text, shared.awareness, { undoManager: undo })], undo };
}

export function CodeEditor({ value, shared, language, onChange, readOnly, id, testId, errorLine }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  const editable = useRef(new Compartment());
  const lang = useRef(new Compartment());
  const binding = useRef(new Compartment());
  const text = shared?.text ?? null;

  useEffect(() => {
    if (!host.current) return undefined;
    const created = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          binding.current.of([]),
          indentOnInput(),
          bracketMatching(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          EditorView.lineWrapping,
          keymap.of([indentWithTab, ...defaultKeymap]),
          lang.current.of(languageOf(language)),
          editable.current.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
          errorLineField,
          EditorView.contentAttributes.of({ id, "aria-label": "Code" }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !bound.current) changed.current(u.state.doc.toString());
          }),
          // keys typed here are the editor's, not the canvas's shortcuts
          EditorView.domEventHandlers({ keydown: (e) => e.stopPropagation() }),
        ],
      }),
    });
    view.current = created;
    return () => {
      created.destroy();
      view.current = null;
    };
    // the view is made once; later changes of these props are applied by the effects below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Bind to the shared text (again whenever it is another Y.Text), or follow `value`.
  const bound = useRef(false);
  useEffect(() => {
    const v = view.current;
    if (!v) return undefined;
    bound.current = false;
    v.dispatch({ effects: binding.current.reconfigure([]) });
    if (text) showText(v, text.toString());
    const { extension, undo } = editing(text && { text, awareness: shared?.awareness ?? null });
    v.dispatch({ effects: binding.current.reconfigure(extension) });
    bound.current = text !== null;
    return () => undo?.destroy();
    // the awareness belongs to the page and never changes under one text
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text]);
  useEffect(() => {
    const v = view.current;
    if (v && !text) showText(v, value);
  }, [text, value]);
  useEffect(() => {
    view.current?.dispatch({ effects: editable.current.reconfigure([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]) });
  }, [readOnly]);
  useEffect(() => {
    view.current?.dispatch({ effects: lang.current.reconfigure(languageOf(language)) });
  }, [language]);
  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const line = errorLine ?? null;
    const effects: StateEffect<unknown>[] = [markError.of(line)];
    if (line !== null && line >= 1 && line <= v.state.doc.lines) effects.push(EditorView.scrollIntoView(v.state.doc.line(line).from, { y: "center" }));
    v.dispatch({ effects });
  }, [errorLine, value]);

  return <div className="code-editor" ref={host} data-testid={testId} data-language={language ?? "python"} />;
}
