// The Run dialog: pipeline parameter values for this run, whether to ignore the cache, and a
// preview of the plan: what will run, in which order, and what will be reused from which run.
import { useState } from "react";
import { errorMessage } from "../api/client";
import type { ParamValue, PipelineParameter } from "../graph/document";
import { PlanTable, type PlanBody } from "../runs/PlanTable";
import { Dialog } from "../ui/Dialog";

export interface RunRequest {
  parameters: Record<string, ParamValue>;
  bypass_cache: boolean;
}

interface Props {
  parameters: Record<string, PipelineParameter>;
  busy: boolean;
  onRun: (r: RunRequest) => void;
  onClose: () => void;
  /** The plan a run with these values would execute now (nothing runs). */
  onPreview?: (r: RunRequest) => Promise<PlanBody>;
}

export function RunDialog({ parameters, busy, onRun, onClose, onPreview }: Props) {
  const [plan, setPlan] = useState<PlanBody | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(parameters).map(([k, p]) => [k, p.default === undefined || p.default === null ? "" : String(p.default)])),
  );
  const [bypass, setBypass] = useState(false);
  const problems: Record<string, string> = {};
  const parsed: Record<string, ParamValue> = {};
  for (const [name, p] of Object.entries(parameters)) {
    const raw = values[name] ?? "";
    if (p.type === "int" || p.type === "float") {
      const n = Number(raw);
      if (raw.trim() === "" || Number.isNaN(n)) problems[name] = "Enter a number";
      else if (p.type === "int" && !Number.isInteger(n)) problems[name] = "Enter a whole number";
      else parsed[name] = n;
    } else if (p.type === "bool") parsed[name] = raw === "true";
    else parsed[name] = raw;
  }
  const ok = Object.keys(problems).length === 0;
  const submit = () => ok && !busy && onRun({ parameters: parsed, bypass_cache: bypass });
  const preview = () => {
    if (!ok || !onPreview) return;
    setPreviewError(null);
    onPreview({ parameters: parsed, bypass_cache: bypass })
      .then(setPlan)
      .catch((e) => setPreviewError(errorMessage(e)));
  };
  return (
    <Dialog
      title="Run pipeline"
      wide={plan !== null}
      onClose={onClose}
      testId="run-dialog"
      footer={
        <>
          <button onClick={onClose}>Cancel</button>
          {onPreview && (
            <button disabled={!ok} onClick={preview} data-testid="run-preview">
              Preview run
            </button>
          )}
          <button className="primary" disabled={!ok || busy} onClick={submit} data-testid="run-confirm">
            {busy ? "Starting…" : "Run"}
          </button>
        </>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {Object.keys(parameters).length === 0 && <p className="muted">This pipeline has no parameters. Add some in the graph settings to vary runs.</p>}
        {Object.entries(parameters).map(([name, p]) => (
          <div className="field" key={name}>
            <label className="field-label" htmlFor={`run-param-${name}`}>
              {name} <span className="muted small">{p.type}</span>
            </label>
            {p.type === "bool" ? (
              <select id={`run-param-${name}`} value={values[name]} onChange={(e) => setValues({ ...values, [name]: e.target.value })}>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : (
              <input id={`run-param-${name}`} type={p.type === "string" ? "text" : "number"} step="any" value={values[name]} onChange={(e) => setValues({ ...values, [name]: e.target.value })} />
            )}
            {p.description && <div className="field-hint">{p.description}</div>}
            {problems[name] && <div className="field-error">{problems[name]}</div>}
          </div>
        ))}
        <label className="toggle">
          <input type="checkbox" checked={bypass} onChange={(e) => setBypass(e.target.checked)} data-testid="run-bypass-cache" />
          <span>Ignore the cache and run every step</span>
        </label>
        <button type="submit" hidden />
      </form>
      {previewError && <div className="callout callout-error">{previewError}</div>}
      {plan && (
        <div className="plan-preview" data-testid="plan-preview">
          <PlanTable plan={plan} />
        </div>
      )}
    </Dialog>
  );
}
