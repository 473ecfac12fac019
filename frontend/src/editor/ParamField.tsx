// One parameter's input, generated from its ParamSpec: numbers with ranges, enums, booleans, a column or columns, code.
import { useContext, useEffect, useState } from "react";
import type { ParamSpec } from "../api/types";
import type { ParamValue } from "../graph/document";
import { EditorActions } from "./actions";
import { CodeEditor } from "./CodeEditor";

interface Props {
  nodeId: string;
  spec: ParamSpec;
  value: ParamValue | undefined;
  /** Known values to offer: upstream column names (or dataset names for the dataset reader); null when unknown. */
  columns: string[] | null;
  /** The pipeline parameters this field may be bound to (their types fit). */
  pipelineParams: string[];
  error: string | undefined;
  /** For code: the line the last run's error points at. */
  errorLine?: number;
  readOnly: boolean;
  onChange: (value: ParamValue | undefined) => void;
  /** What an empty input shows, when not the spec's default. */
  placeholder?: string;
  /** For a text param: the only values to choose from, each with its label (a dataset's versions). */
  options?: readonly ParamOption[];
}

export interface ParamOption {
  value: string;
  label: string;
}

/** The code editor, bound to the param's shared text when the page is editable and it has one. */
function SharedCodeEditor({ nodeId, param, ...props }: { nodeId: string; param: string } & Omit<Parameters<typeof CodeEditor>[0], "shared" | "testId">) {
  const { shared } = useContext(EditorActions);
  const text = shared?.find({ node: nodeId, param }) ?? null;
  return <CodeEditor {...props} testId={props.id} shared={text && shared && { text, awareness: shared.awareness }} />;
}

function rangeText(spec: ParamSpec): string {
  const { minimum: lo, maximum: hi } = spec;
  if (lo !== undefined && hi !== undefined) return `${lo} – ${hi}`;
  if (lo !== undefined) return `≥ ${lo}`;
  if (hi !== undefined) return `≤ ${hi}`;
  return "";
}

/** A number typed as text; what is wrong with it shows at once, unless the field's issue already says it. */
function NumberInput({ spec, value, onChange, readOnly, id, placeholder, told }: { spec: ParamSpec; value: ParamValue | undefined; onChange: Props["onChange"]; readOnly: boolean; id: string; placeholder?: string; told: boolean }) {
  const shown = typeof value === "number" ? String(value) : "";
  const [text, setText] = useState(shown);
  // Follow outside changes (undo, a load) without rewriting what is being typed ("1e2", "0.50").
  useEffect(() => setText((typed) => (typed.trim() !== "" && Number(typed) === value ? typed : shown)), [shown, value]);
  const parsed = text.trim() === "" ? undefined : Number(text);
  let problem = "";
  if (parsed !== undefined && Number.isNaN(parsed)) problem = "Not a number";
  else if (parsed !== undefined && spec.type === "int" && !Number.isInteger(parsed)) problem = "Must be a whole number";
  else if (parsed !== undefined && spec.minimum !== undefined && parsed < spec.minimum) problem = `Must be at least ${spec.minimum}`;
  else if (parsed !== undefined && spec.maximum !== undefined && parsed > spec.maximum) problem = `Must be at most ${spec.maximum}`;
  return (
    <>
      <input
        id={id}
        type="number"
        inputMode={spec.type === "int" ? "numeric" : "decimal"}
        step={spec.type === "int" ? 1 : "any"}
        min={spec.minimum}
        max={spec.maximum}
        value={text}
        readOnly={readOnly}
        placeholder={placeholder ?? (spec.default === undefined || spec.default === null ? (spec.nullable ? "none" : "required") : String(spec.default))}
        aria-invalid={problem !== ""}
        onChange={(e) => {
          setText(e.target.value);
          const v = e.target.value.trim();
          if (v === "") onChange(spec.nullable ? null : undefined);
          else if (!Number.isNaN(Number(v))) onChange(Number(v));
        }}
      />
      {problem && !told && <div className="field-error">{problem}</div>}
    </>
  );
}

function splitColumns(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function ColumnsInput({ value, columns, onChange, readOnly, id }: { value: ParamValue | undefined; columns: string[] | null; onChange: Props["onChange"]; readOnly: boolean; id: string }) {
  const selected = Array.isArray(value) ? value : typeof value === "string" && value ? [value] : [];
  const shown = selected.join(", ");
  const [text, setText] = useState(shown);
  // Follow outside changes (undo, another field) without reformatting what is being typed.
  useEffect(() => setText((typed) => (splitColumns(typed).join(", ") === shown ? typed : shown)), [shown]);
  if (!columns) {
    return (
      <>
        <input
          id={id}
          type="text"
          value={text}
          readOnly={readOnly}
          placeholder="column names, comma-separated"
          onChange={(e) => {
            setText(e.target.value);
            onChange(splitColumns(e.target.value));
          }}
        />
        <div className="field-hint">Run the upstream modules to pick columns from a list.</div>
      </>
    );
  }
  const known = new Set(columns);
  const extra = selected.filter((c) => !known.has(c));
  return (
    <div className="column-picker" id={id} role="group">
      {[...columns, ...extra].map((c) => (
        <label key={c} className={`column-chip${selected.includes(c) ? " on" : ""}${known.has(c) ? "" : " missing"}`} title={known.has(c) ? c : `${c} is not in the upstream output`}>
          <input
            type="checkbox"
            checked={selected.includes(c)}
            disabled={readOnly}
            onChange={(e) => onChange(e.target.checked ? [...selected, c] : selected.filter((x) => x !== c))}
          />
          {c}
        </label>
      ))}
    </div>
  );
}

/** One column: chosen from the input's columns when they are known (one it lacks is the node's
 * issue, shown under the field), typed otherwise. */
function ColumnInput({ spec, value, columns, onChange, readOnly, id }: { spec: ParamSpec; value: ParamValue | undefined; columns: string[] | null; onChange: Props["onChange"]; readOnly: boolean; id: string }) {
  const chosen = typeof value === "string" ? value : "";
  const set = (picked: string) => onChange(picked === "" ? (spec.nullable ? null : undefined) : picked);
  if (!columns) {
    return (
      <>
        <input id={id} type="text" value={chosen} readOnly={readOnly} placeholder="column name" onChange={(e) => set(e.target.value)} />
        <div className="field-hint">Run the upstream modules to pick the column from a list.</div>
      </>
    );
  }
  return (
    <select id={id} value={chosen} disabled={readOnly} onChange={(e) => set(e.target.value)}>
      <option value="">{spec.nullable ? "none" : "(default)"}</option>
      {columns.map((c) => (
        <option key={c} value={c}>
          {c}
        </option>
      ))}
      {chosen !== "" && !columns.includes(chosen) && <option value={chosen}>{chosen} (not in the input)</option>}
    </select>
  );
}

/** A text param chosen from labelled options; empty is the param's default, and a value not among
 * the options is kept, marked. */
function OptionInput({ spec, value, options, placeholder, onChange, readOnly, id }: { spec: ParamSpec; value: ParamValue | undefined; options: readonly ParamOption[]; placeholder?: string; onChange: Props["onChange"]; readOnly: boolean; id: string }) {
  const chosen = typeof value === "string" ? value : "";
  return (
    <select id={id} value={chosen} disabled={readOnly} onChange={(e) => onChange(e.target.value === "" ? (spec.nullable ? null : undefined) : e.target.value)}>
      <option value="">{placeholder ?? "(default)"}</option>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
      {chosen !== "" && !options.some((o) => o.value === chosen) && <option value={chosen}>{chosen} (not in the list)</option>}
    </select>
  );
}

export function ParamField({ nodeId, spec, value, columns, pipelineParams, error, errorLine, readOnly, onChange, placeholder, options }: Props) {
  const id = `param-${nodeId}-${spec.name}`;
  const bound = typeof value === "string" && value.startsWith("$") && spec.type !== "code" ? value.slice(1) : null;
  let input: React.ReactNode;
  if (bound !== null) {
    input = (
      <div className="bound-param">
        Uses pipeline parameter <code>${bound}</code>
        {!readOnly && (
          <button className="link-button" onClick={() => onChange(undefined)}>
            unbind
          </button>
        )}
      </div>
    );
  } else if (spec.type === "int" || spec.type === "float") {
    input = <NumberInput spec={spec} value={value} onChange={onChange} readOnly={readOnly} id={id} placeholder={placeholder} told={error !== undefined} />;
  } else if (spec.type === "bool") {
    input = (
      <label className="toggle">
        <input id={id} type="checkbox" checked={value === true || (value === undefined && spec.default === true)} disabled={readOnly} onChange={(e) => onChange(e.target.checked)} />
        <span>{(value ?? spec.default) ? "Yes" : "No"}</span>
      </label>
    );
  } else if (spec.type === "enum") {
    input = (
      <select id={id} value={value === undefined || value === null ? "" : String(value)} disabled={readOnly} onChange={(e) => onChange(e.target.value === "" ? (spec.nullable ? null : undefined) : e.target.value)}>
        {(spec.required || spec.nullable || value === undefined) && <option value="">{spec.nullable ? "none" : spec.default != null ? `${String(spec.default)} (default)` : "choose…"}</option>}
        {(spec.choices ?? []).map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  } else if (spec.type === "string" && options) {
    input = <OptionInput spec={spec} value={value} options={options} placeholder={placeholder} onChange={onChange} readOnly={readOnly} id={id} />;
  } else if (spec.type === "columns") {
    input = <ColumnsInput value={value} columns={columns} onChange={onChange} readOnly={readOnly} id={id} />;
  } else if (spec.type === "column") {
    input = <ColumnInput spec={spec} value={value} columns={columns} onChange={onChange} readOnly={readOnly} id={id} />;
  } else if (spec.type === "code") {
    input = (
      <SharedCodeEditor
        nodeId={nodeId}
        param={spec.name}
        id={id}
        value={typeof value === "string" ? value : typeof spec.default === "string" ? spec.default : ""}
        language={spec.language ?? undefined}
        readOnly={readOnly}
        errorLine={errorLine}
        onChange={(v) => onChange(v)}
      />
    );
  } else {
    input = (
      <input
        id={id}
        type="text"
        list={columns ? `${id}-columns` : undefined}
        value={typeof value === "string" ? value : ""}
        readOnly={readOnly}
        placeholder={placeholder ?? (spec.default === undefined || spec.default === null ? (spec.required ? "required" : "") : String(spec.default))}
        onChange={(e) => onChange(e.target.value === "" ? (spec.nullable ? null : undefined) : e.target.value)}
      />
    );
  }
  const suggestions =
    spec.type === "string" && columns ? (
      <datalist id={`${id}-columns`}>
        {columns.map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
    ) : null;
  const range = spec.type === "int" || spec.type === "float" ? rangeText(spec) : "";
  return (
    <div className={`field${error ? " field-invalid" : ""}`} data-testid={`field-${spec.name}`}>
      <div className="field-label-row">
        <label htmlFor={id} className="field-label">
          {spec.label}
          {spec.required && <span className="required" title="Required">*</span>}
        </label>
        {range && <span className="field-range">{range}</span>}
        {pipelineParams.length > 0 && !readOnly && spec.type !== "code" && bound === null && (
          <select className="bind-select" aria-label={`Bind ${spec.label} to a pipeline parameter`} value="" onChange={(e) => e.target.value && onChange(`$${e.target.value}`)}>
            <option value="">$…</option>
            {pipelineParams.map((p) => (
              <option key={p} value={p}>
                ${p}
              </option>
            ))}
          </select>
        )}
      </div>
      {input}
      {suggestions}
      {spec.description && <div className="field-hint">{spec.description}</div>}
      {error && <div className="field-error" data-testid="field-issue">{error}</div>}
    </div>
  );
}
