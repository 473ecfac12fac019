// Run history of one pipeline: status, duration, who, version, parameters; open a run, compare two.
import { useEffect, useRef, useState } from "react";
import { api, errorMessage } from "../api/client";
import type { GraphDetail, Run } from "../api/types";
import { useWorkspace } from "../api/useWorkspace";
import { fmt } from "../runs/charts";
import { openWorkspaceSocket } from "../runs/socket";
import { StartedBy } from "../runs/StartedBy";
import { linkProps, navigate } from "../router";
import { ListFooter } from "../ui/ListFooter";
import { Shell } from "../ui/Shell";
import { usePagedList } from "../ui/usePagedList";

function duration(r: Run): string {
  if (!r.started_at) return "—";
  const end = r.finished_at ? new Date(r.finished_at) : new Date();
  const s = (end.getTime() - new Date(r.started_at).getTime()) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function RunsPage({ graphId }: { graphId: number }) {
  const [graph, setGraph] = useState<GraphDetail | null>(null);
  const runList = usePagedList<Run>(`/api/graphs/${graphId}/runs/`, "", (r) => r.id);
  const runs = runList.items;
  const { reload: loadRuns, update: updateRuns } = runList;
  const [picked, setPicked] = useState<number[]>(() => {
    const wanted = Number(new URLSearchParams(window.location.search).get("compare"));
    return Number.isInteger(wanted) && wanted > 0 ? [wanted] : [];
  });
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<GraphDetail>(`/api/graphs/${graphId}/`).then(setGraph).catch((e) => setError(errorMessage(e)));
  }, [graphId]);
  // Statuses change live; a finished run, or one the list does not know yet, reloads it.
  const workspace = graph?.workspace;
  const workspaceDetail = useWorkspace(workspace);
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
        updateRuns((shown) => shown.map((r) => (r.id === msg.run_id ? { ...r, status } : r)));
      },
    });
    return () => socket.close();
  }, [workspace, loadRuns, updateRuns]);
  const toggle = (id: number) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  return (
    <Shell
      crumbs={[
        { label: "Workspaces", href: "/" },
        { label: workspaceDetail?.name ?? "Workspace", href: graph ? `/workspaces/${graph.workspace}/` : undefined },
        { label: graph?.name ?? "…", href: `/graphs/${graphId}/` },
        { label: "Runs" },
      ]}
    >
      <div className="content">
        <div className="page-head">
          <h1>Runs of {graph?.name ?? "…"}</h1>
          <a className="button primary" {...linkProps(`/graphs/${graphId}/`)}>Open editor</a>
        </div>
        {(error ?? runList.error) && <div className="callout callout-error">{error ?? runList.error}</div>}
        <div className="page-actions">
          <span className="muted small">Tick two runs to compare them step by step.</span>
          <button className="primary" disabled={picked.length !== 2} onClick={() => navigate(`/runs/${picked[1]}/compare/${picked[0]}/`)} data-testid="run-compare">
            Compare
          </button>
        </div>
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
                  <td>
                    <a {...linkProps(`/runs/${r.id}/`)} data-testid={`open-run-${r.id}`}>#{r.id}</a>
                    {r.pinned ? <span className="muted small"> · pinned</span> : null}
                  </td>
                  <td><span className={`status-pill pill-${r.status}`}>{r.status}</span></td>
                  <td>v{r.version}</td>
                  <td><StartedBy run={r} /></td>
                  <td className="muted small">{new Date(r.created_at).toLocaleString()}</td>
                  <td>{duration(r)}</td>
                  <td className="mono small">{Object.entries(r.parameters ?? {}).map(([k, v]) => `${k}=${fmt(v)}`).join(", ") || <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <ListFooter list={runList} noun="runs" />
      </div>
    </Shell>
  );
}
