// A light code editor: a transparent textarea over a highlighted <pre>, Tab indents, line numbers.
import { useMemo, useRef } from "react";
import { tokenize } from "./highlight";

interface Props {
  value: string;
  language: string | undefined;
  onChange: (value: string) => void;
  readOnly: boolean;
  id: string;
  testId?: string;
}

export function CodeEditor({ value, language, onChange, readOnly, id, testId }: Props) {
  const pre = useRef<HTMLPreElement>(null);
  const tokens = useMemo(() => tokenize(value, language), [value, language]);
  const lines = value.split("\n").length;
  return (
    <div className="code-editor">
      <div className="code-gutter" aria-hidden="true">
        {Array.from({ length: lines }, (_, i) => (
          <div key={i}>{i + 1}</div>
        ))}
      </div>
      <div className="code-area">
        <pre ref={pre} className="code-highlight" aria-hidden="true">
          {tokens.map((t, i) => (
            <span key={i} className={`tok-${t.kind}`}>
              {t.text}
            </span>
          ))}
          {"\n"}
        </pre>
        <textarea
          id={id}
          data-testid={testId}
          className="code-input"
          spellCheck={false}
          value={value}
          readOnly={readOnly}
          onScroll={(e) => {
            if (pre.current) {
              pre.current.scrollTop = e.currentTarget.scrollTop;
              pre.current.scrollLeft = e.currentTarget.scrollLeft;
            }
          }}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={(e) => {
            e.stopPropagation();
            if (e.key === "Tab" && !e.shiftKey && !readOnly) {
              e.preventDefault();
              const el = e.currentTarget;
              const { selectionStart: s, selectionEnd: end } = el;
              const next = `${value.slice(0, s)}    ${value.slice(end)}`;
              onChange(next);
              requestAnimationFrame(() => el.setSelectionRange(s + 4, s + 4));
            }
          }}
        />
      </div>
    </div>
  );
}
