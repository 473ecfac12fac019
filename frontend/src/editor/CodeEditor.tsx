// The code editor of code params: CodeMirror 6 with Python or SQL highlighting, line numbers,
// wrapped long lines, a frame you can resize by its corner, and the line an error points at marked.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { sql } from "@codemirror/lang-sql";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { Compartment, EditorState, StateEffect, StateField, type Extension } from "@codemirror/state";
import { Decoration, EditorView, keymap, lineNumbers, type DecorationSet } from "@codemirror/view";
import { useEffect, useRef } from "react";

interface Props {
  value: string;
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

export function CodeEditor({ value, language, onChange, readOnly, id, testId, errorLine }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  const editable = useRef(new Compartment());
  const lang = useRef(new Compartment());

  useEffect(() => {
    if (!host.current) return undefined;
    const created = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          indentOnInput(),
          bracketMatching(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          EditorView.lineWrapping,
          keymap.of([indentWithTab, ...defaultKeymap, ...historyKeymap]),
          lang.current.of(languageOf(language)),
          editable.current.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
          errorLineField,
          EditorView.contentAttributes.of({ id, "aria-label": "Code" }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) changed.current(u.state.doc.toString());
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

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);
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
