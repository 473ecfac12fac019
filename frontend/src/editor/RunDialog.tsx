// The Run dialog: pipeline parameter values for this run, whether to ignore the cache, and a
// preview of the plan: what will run, in which order, and what will be reused from which run.
// Several values of a number (or both of a boolean) make a sweep: one run per combination.
import { useState } from "react";
import { errorMessage } from "../api/client";
import type { ParamValue, PipelineParameter } from "../graph/document";
import { PlanTable, type PlanBody } from "../runs/PlanTable";
import { Dialog } from "../ui/Dialog";

export interface RunRequest {
  parameters: Record<string, ParamValue>;
  bypass_cache: boolean;
}

export interface SweepRequest {
  parameters: Record<string, ParamValue[]>;
  bypass_cache: boolean;
}

export const MAX_SWEEP_RUNS = 25;

/** A parameter's typed values: numbers separated by commas, "both" booleans; else one value. */
export function parseValues(type: PipelineParameter["type"], raw: string): { values: ParamValue[] } | { problem: string } {
  if (type === "int" || type === "float") {
    const parts = raw.split(",").map((part) => part.trim());
    const values: number[] = [];
    for (const part of parts) {
      const n = Number(part);
      if (part === "" || Number.isNaN(n)) return { problem: parts.length > 1 ? `Enter numbers separated by commas ("${part}" is not one)` : "Enter a number" };
      if (type === "int" && !Number.isInteger(n)) return { problem: parts.length > 1 ? `Enter whole numbers separated by commas (${part} is not one)` : "Enter a whole number" };
      if (!values.includes(n)) values.push(n);
    }
    return { values };
  }
  if (type === "bool") return { values: raw === "both" ? [true, false] : [raw === "true"] };
  return { values: [raw] };
}

interface Props {
  parameters: Record<string, PipelineParameter>;
  busy: boolean;
  onRun: (r: RunRequest) => void;
  onClose: () => void;
  /** The plan a run with these values would execute now (nothing runs). */
  onPreview?: (r: RunRequest) => Promise<PlanBody>;
  /** Start one run per combination of several values; without it, one value each. */
  onSweep?: (r: SweepRequest) => void;
}

export function RunDialog({ parameters, busy, onRun, onClose, onPreview, onSweep }: Props) {
  const [plan, setPlan] = useState<PlanBody | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(parameters).map(([k, p]) => [k, p.default === undefined || p.default === null ? "" : String(p.default)])),
  );
  const [bypass, setBypass] = useState(false);
  const problems: Record<string, string> = {};
  const lists: Record<string, ParamValue[]> = {};
  for (const [name, p] of Object.entries(parameters)) {
    const read = parseValues(p.type, values[name] ?? "");
    if ("problem" in read) problems[name] = read.problem;
    else if (read.values.length > 1 && !onSweep) problems[name] = "Enter one value (a sweep runs the whole pipeline)";
    else lists[name] = read.values;
  }
  const runCount = Object.values(lists).reduce((n, list) => n * list.length, 1);
  const sweeping = runCount > 1;
  const ok = Object.keys(problems).length === 0 && runCount <= MAX_SWEEP_RUNS;
  const parsed: Record<string, ParamValue> = Object.fromEntries(Object.entries(lists).map(([name, list]) => [name, list[0]]));
  const submit = () => {
    if (!ok || busy) return;
    if (sweeping && onSweep) onSweep({ parameters: lists, bypass_cache: bypass });
    else onRun({ parameters: parsed, bypass_cache: bypass });
  };
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
            <button disabled={!ok || sweeping} title={sweeping ? "A preview shows one run: give one value each" : undefined} onClick={preview} data-testid="run-preview">
              Preview run
            </button>
          )}
          <button className="primary" disabled={!ok || busy} onClick={submit} data-testid="run-confirm">
            {busy ? "Starting…" : sweeping ? `Run ${runCount} runs` : "Run"}
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
                {onSweep && <option value="both">both (one run each)</option>}
              </select>
            ) : (
              <input id={`run-param-${name}`} type="text" inputMode={p.type === "string" ? "text" : "decimal"} value={values[name]} onChange={(e) => setValues({ ...values, [name]: e.target.value })} />
            )}
            {onSweep && (p.type === "int" || p.type === "float") && <div className="field-hint">Several values separated by commas start a sweep: one run per combination.</div>}
            {p.description && <div className="field-hint">{p.description}</div>}
            {problems[name] && <div className="field-error">{problems[name]}</div>}
          </div>
        ))}
        {sweeping && (
          <p className={runCount > MAX_SWEEP_RUNS ? "field-error" : "callout"} data-testid="sweep-summary">
            {runCount > MAX_SWEEP_RUNS
              ? `These values make ${runCount} runs; a sweep starts at most ${MAX_SWEEP_RUNS}.`
              : `A sweep of ${runCount} runs, one per combination of the values, on one version of the pipeline. Compare them on Runs → Metrics.`}
          </p>
        )}
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
