// Run history of one pipeline: status, duration, who, version, parameters; open a run, compare two;
// watch it; or its succeeded runs side by side by their metrics.
import { useEffect, useState } from "react";
import { api, errorMessage } from "../api/client";
import type { GraphDetail, Run } from "../api/types";
import { useWorkspace } from "../api/useWorkspace";
import { MetricsTable } from "../runs/MetricsTable";
import { RunTable, useLiveRuns } from "../runs/RunTable";
import { WatchToggle } from "../runs/WatchToggle";
import { linkProps, navigate } from "../router";
import { ListFooter } from "../ui/ListFooter";
import { Shell } from "../ui/Shell";
import { usePagedList } from "../ui/usePagedList";

export function RunsPage({ graphId }: { graphId: number }) {
  const [graph, setGraph] = useState<GraphDetail | null>(null);
  const runList = usePagedList<Run>(`/api/graphs/${graphId}/runs/`, "", (r) => r.id);
  const runs = runList.items;
  const [picked, setPicked] = useState<number[]>(() => {
    const wanted = Number(new URLSearchParams(window.location.search).get("compare"));
    return Number.isInteger(wanted) && wanted > 0 ? [wanted] : [];
  });
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<"runs" | "metrics">("runs");
  useEffect(() => {
    api.get<GraphDetail>(`/api/graphs/${graphId}/`).then(setGraph).catch((e) => setError(errorMessage(e)));
  }, [graphId]);
  const workspace = graph?.workspace;
  const workspaceDetail = useWorkspace(workspace);
  useLiveRuns(workspace, runList, false);
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
          <div className="page-actions">
            <WatchToggle graphId={graphId} />
            <a className="button primary" {...linkProps(`/graphs/${graphId}/`)}>Open editor</a>
          </div>
        </div>
        {(error ?? runList.error) && <div className="callout callout-error">{error ?? runList.error}</div>}
        <div className="view-switch" role="group" aria-label="View">
          <button type="button" aria-pressed={view === "runs"} onClick={() => setView("runs")} data-testid="view-runs">All runs</button>
          <button type="button" aria-pressed={view === "metrics"} onClick={() => setView("metrics")} data-testid="view-metrics">Metrics</button>
        </div>
        {view === "metrics" && <MetricsTable graphId={graphId} workspace={workspace} />}
        {view === "runs" && (
          <>
            <div className="page-actions">
              <span className="muted small">Tick two runs to compare them step by step.</span>
              <button className="primary" disabled={picked.length !== 2} onClick={() => navigate(`/runs/${picked[1]}/compare/${picked[0]}/`)} data-testid="run-compare">
                Compare
              </button>
            </div>
            {runs?.length === 0 && <p className="muted">No runs yet.</p>}
            {runs && runs.length > 0 && (
              <RunTable runs={runs} picked={picked} onPick={toggle} />
            )}
            <ListFooter list={runList} noun="runs" />
          </>
        )}
      </div>
    </Shell>
  );
}
