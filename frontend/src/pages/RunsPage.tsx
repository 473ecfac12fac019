// Run history of one pipeline: status, duration, who, version, parameters; compare two runs' metrics.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, errorMessage, items } from "../api/client";
import type { GraphDetail, Run } from "../api/types";
import { fmt } from "../runs/charts";
import { openWorkspaceSocket } from "../runs/socket";
import { linkProps } from "../router";
import { Shell } from "../ui/Shell";

function duration(r: Run): string {
  if (!r.started_at) return "—";
  const end = r.finished_at ? new Date(r.finished_at) : new Date();
  const s = (end.getTime() - new Date(r.started_at).getTime()) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** Scalar metrics of every JSON output of a run, keyed "step.port.metric". */
export function runMetrics(run: Run): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const step of run.steps ?? []) {
    for (const [port, info] of Object.entries(step.outputs ?? {})) {
      const values = (info.summary as { values?: Record<string, unknown> } | null)?.values;
      if (!values || typeof values !== "object") continue;
      const metrics = (typeof values.metrics === "object" && values.metrics ? values.metrics : values) as Record<string, unknown>;
      for (const [k, v] of Object.entries(metrics)) {
        if (typeof v === "number" || v === null) out.set(`${step.key}.${port}.${k}`, v as number | null);
      }
    }
  }
  return out;
}

export function RunsPage({ graphId }: { graphId: number }) {
  const [graph, setGraph] = useState<GraphDetail | null>(null);
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [picked, setPicked] = useState<number[]>([]);
  const [compared, setCompared] = useState<[Run, Run] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadRuns = useCallback(() => {
    api
      .get<Run[] | { results: Run[] }>(`/api/graphs/${graphId}/runs/?limit=100`)
      .then((d) => setRuns(items(d)))
      .catch((e) => setError(errorMessage(e)));
  }, [graphId]);
  useEffect(() => {
    api.get<GraphDetail>(`/api/graphs/${graphId}/`).then(setGraph).catch((e) => setError(errorMessage(e)));
    loadRuns();
  }, [graphId, loadRuns]);
  // Statuses change live; a finished run, or one the list does not know yet, reloads it.
  const workspace = graph?.workspace;
  const runsRef = useRef(runs);
  runsRef.current = runs;
  useEffect(() => {
    if (workspace === undefined) return undefined;
    const socket = openWorkspaceSocket(workspace, {
      onMessage: (msg) => {
        if (msg.type !== "run.status" && msg.type !== "run.finished") return;
        const list = runsRef.current ?? [];
        if (msg.type === "run.finished" || !list.some((r) => r.id === msg.run_id)) {
          loadRuns(); // server times for the duration, or a run new to the list
          return;
        }
        const status = msg.data.status;
        setRuns(list.map((r) => (r.id === msg.run_id ? { ...r, status } : r)));
      },
    });
    return () => socket.close();
  }, [workspace, loadRuns]);
  useEffect(() => {
    if (picked.length !== 2) {
      setCompared(null);
      return;
    }
    Promise.all(picked.map((id) => api.get<Run>(`/api/runs/${id}/`)))
      .then(([a, b]) => setCompared([a, b]))
      .catch((e) => setError(errorMessage(e)));
  }, [picked]);
  const rows = useMemo(() => {
    if (!compared) return [];
    const [a, b] = compared.map(runMetrics);
    return [...new Set([...a.keys(), ...b.keys()])].sort().map((k) => ({ key: k, a: a.get(k), b: b.get(k) }));
  }, [compared]);
  const toggle = (id: number) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  return (
    <Shell
      crumbs={[
        { label: "Workspaces", href: "/" },
        { label: "Workspace", href: graph ? `/workspaces/${graph.workspace}/` : undefined },
        { label: graph?.name ?? "…", href: `/graphs/${graphId}/` },
        { label: "Runs" },
      ]}
    >
      <div className="content">
        <div className="page-head">
          <h1>Runs of {graph?.name ?? "…"}</h1>
          <a className="button primary" {...linkProps(`/graphs/${graphId}/`)}>Open editor</a>
        </div>
        {error && <div className="callout callout-error">{error}</div>}
        <p className="muted small">Tick two runs to compare their metrics.</p>
        {runs?.length === 0 && <p className="muted">No runs yet.</p>}
        {runs && runs.length > 0 && (
          <table className="data-table list-table" data-testid="run-list">
            <thead>
              <tr>
                <th />
                <th>Run</th>
                <th>Status</th>
                <th>Version</th>
                <th>Started by</th>
                <th>Started</th>
                <th>Duration</th>
                <th>Parameters</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-testid={`run-row-${r.id}`}>
                  <td>
                    <input type="checkbox" checked={picked.includes(r.id)} onChange={() => toggle(r.id)} aria-label={`Compare run ${r.id}`} />
                  </td>
                  <td>#{r.id}</td>
                  <td><span className={`status-pill pill-${r.status}`}>{r.status}</span></td>
                  <td>v{r.version}</td>
                  <td>{r.created_by}</td>
                  <td className="muted small">{new Date(r.created_at).toLocaleString()}</td>
                  <td>{duration(r)}</td>
                  <td className="mono small">{Object.entries(r.parameters ?? {}).map(([k, v]) => `${k}=${fmt(v)}`).join(", ") || <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {compared && (
          <section data-testid="run-compare">
            <h2>Run #{compared[0].id} vs run #{compared[1].id}</h2>
            {rows.length === 0 ? (
              <p className="muted">Neither run has metrics.</p>
            ) : (
              <table className="data-table list-table">
                <thead>
                  <tr>
                    <th>Metric</th>
                    <th>#{compared[0].id}</th>
                    <th>#{compared[1].id}</th>
                    <th>Δ</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map(({ key, a, b }) => (
                    <tr key={key}>
                      <td className="mono">{key}</td>
                      <td>{fmt(a)}</td>
                      <td>{fmt(b)}</td>
                      <td className={typeof a === "number" && typeof b === "number" ? (b > a ? "delta-up" : b < a ? "delta-down" : "") : ""}>
                        {typeof a === "number" && typeof b === "number" ? fmt(b - a) : "—"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        )}
      </div>
    </Shell>
  );
}
