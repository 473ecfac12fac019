// Run vs run: step by step whether each key changed and why, and how the metrics moved (newer − older).
import { useEffect, useState } from "react";
import { api, errorMessage } from "../api/client";
import type { components } from "../api/schema.gen";
import { useWorkspace } from "../api/useWorkspace";
import { linkProps } from "../router";
import { Shell } from "../ui/Shell";
import { fmt } from "./charts";
import { metricLabel } from "./metricsTable";
import { shortDate, startedBy } from "./reasons";

type Schemas = components["schemas"];
/** The answer of GET /api/runs/{id}/compare/{other}/ (designer/runs/serializers.py CompareSerializer). */
type Comparison = Schemas["Compare"];
type RunSide = Schemas["CompareRun"];
/** One reason a step's key changed: its kind and the fields that kind names. */
type Why = Schemas["CompareStep"]["why"][number];

function value(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : fmt(v);
}

/** One reason a step's key changed, in words. */
export function whyText(w: Why): string {
  switch (w.kind) {
    case "param":
      return `param ${String(w.name)}: ${value(w.old)} → ${value(w.new)}`;
    case "upstream": {
      const source = String(w.source_label ?? w.source ?? "?");
      const change = w.change === "changed" ? "output changed" : w.change === "rewired" ? "now wired here" : String(w.change);
      return `upstream ${source}: ${change} (input ${String(w.port)})`;
    }
    case "module":
    case "module_version":
      return `module ${String(w.old)} → ${String(w.new)}`;
    case "implementation":
      return "module code changed";
    case "image":
      return `environment ${String(w.old)} → ${String(w.new)}`;
    case "dataset":
      return `dataset ${String(w.name)}: version ${String(w.old ?? "none").slice(0, 12)} → ${String(w.new ?? "none").slice(0, 12)}`;
    case "bypassed":
      return "cache bypassed";
    case "requested":
      return "asked to run (run from / run only)";
    case "external":
      return "reads outside data: always runs";
    case "added":
      return "new in the newer run";
    case "removed":
      return "not in the newer run";
    case "not_run":
      return `did not run in the ${String(w.run)} run`;
    default:
      return w.kind;
  }
}

function who(side: RunSide, word = "run"): string {
  const by = startedBy(side);
  return `${word} ${side.id} (v${side.version}, ${shortDate(side.created_at)}${by ? `, ${by}` : ""})`;
}

export function ComparePage({ runId, otherId }: { runId: number; otherId: number }) {
  const [data, setData] = useState<Comparison | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [changedOnly, setChangedOnly] = useState(false);
  useEffect(() => {
    api
      .get<Comparison>(`/api/runs/${runId}/compare/${otherId}/`)
      .then(setData)
      .catch((e) => setError(errorMessage(e)));
  }, [runId, otherId]);
  const workspace = useWorkspace(data?.workspace);
  const steps = data ? data.steps.filter((s) => !changedOnly || s.changed) : [];
  return (
    <Shell
      crumbs={[
        { label: "Workspaces", href: "/" },
        { label: workspace?.name ?? "Workspace", href: data ? `/workspaces/${data.workspace}/` : undefined },
        { label: data?.graph_name ?? "…", href: data ? `/graphs/${data.graph}/` : undefined },
        { label: "Runs", href: data ? `/graphs/${data.graph}/runs/` : undefined },
        { label: data ? `Run ${data.older.id} vs run ${data.newer.id}` : `Run ${runId} vs run ${otherId}` },
      ]}
    >
      <div className="content" data-testid="compare-page">
        {error && <div className="callout callout-error">{error}</div>}
        {data && (
          <>
            <div className="page-head">
              <h1>
                <a {...linkProps(`/runs/${data.older.id}/`)}>{who(data.older, "Run")}</a> vs <a {...linkProps(`/runs/${data.newer.id}/`)}>{who(data.newer)}</a>
              </h1>
            </div>
            <h2>Metrics (newer − older)</h2>
            {data.metrics.length === 0 ? (
              <p className="muted">Neither run has metrics.</p>
            ) : (
              <table className="data-table list-table" data-testid="compare-metrics">
                <thead>
                  <tr>
                    <th>Step</th>
                    <th>Metric</th>
                    <th>Run {data.older.id}</th>
                    <th>Run {data.newer.id}</th>
                    <th>Newer − older</th>
                  </tr>
                </thead>
                <tbody>
                  {data.metrics.map((m) => (
                    <tr key={`${m.step}.${m.port}.${m.input ?? ""}.${m.name}`} data-testid={`metric-row-${m.name}${m.input ? `-${m.input}` : ""}`}>
                      <td>{m.label}{m.input ? <span className="muted small"> · {m.input}</span> : null}</td>
                      <td>
                        {metricLabel(m.name)}
                        {m.better && <span className="muted small"> ({m.better} is better)</span>}
                      </td>
                      <td>{fmt(m.older)}</td>
                      <td>{fmt(m.newer)}</td>
                      <td className={m.improved === null ? "" : m.improved ? "delta-better" : "delta-worse"} data-testid="metric-delta" data-improved={m.improved === null ? "" : String(m.improved)}>
                        {m.delta === null ? "—" : `${m.delta > 0 ? "+" : ""}${fmt(m.delta)}`}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <h2>Steps</h2>
            <label className="small">
              <input type="checkbox" checked={changedOnly} onChange={(e) => setChangedOnly(e.target.checked)} /> Only steps whose key changed
            </label>
            <table className="data-table list-table" data-testid="compare-steps">
              <thead>
                <tr>
                  <th>Step</th>
                  <th>Key</th>
                  <th>Why</th>
                  <th>Run {data.older.id}</th>
                  <th>Run {data.newer.id}</th>
                </tr>
              </thead>
              <tbody>
                {steps.map((s) => (
                  <tr key={s.key} data-testid={`compare-step-${s.key}`} data-changed={String(s.changed)}>
                    <td>{s.label}</td>
                    <td>{s.changed ? <span className="status-pill pill-running">changed</span> : <span className="muted">same</span>}</td>
                    <td className="small">
                      {s.why.length === 0 ? <span className="muted">—</span> : (
                        <ul className="why-list">
                          {s.why.map((w, i) => <li key={i}>{whyText(w)}</li>)}
                        </ul>
                      )}
                      {s.outputs_changed.length > 0 && <div className="muted small">outputs changed: {s.outputs_changed.join(", ")}</div>}
                    </td>
                    <td><span className={`status-pill pill-${s.status.older ?? "pending"}`}>{s.status.older ?? "—"}</span></td>
                    <td><span className={`status-pill pill-${s.status.newer ?? "pending"}`}>{s.status.newer ?? "—"}</span></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
    </Shell>
  );
}
