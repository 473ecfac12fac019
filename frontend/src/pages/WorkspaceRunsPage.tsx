// Every run of a workspace, newest first, across its pipelines: filter by status, follow them live.
import { useState } from "react";
import type { Run } from "../api/types";
import { useWorkspace } from "../api/useWorkspace";
import { RunTable, useLiveRuns } from "../runs/RunTable";
import { ListFooter } from "../ui/ListFooter";
import { Shell } from "../ui/Shell";
import { usePagedList } from "../ui/usePagedList";

const STATUSES = ["queued", "running", "succeeded", "failed", "canceled"];

export function WorkspaceRunsPage({ workspaceId }: { workspaceId: number }) {
  const workspace = useWorkspace(workspaceId);
  const [status, setStatus] = useState("");
  const path = `/api/workspaces/${workspaceId}/runs/${status ? `?status=${status}` : ""}`;
  const runList = usePagedList<Run>(path, "", (r) => r.id);
  useLiveRuns(workspaceId, runList, status !== "");
  const runs = runList.items;
  return (
    <Shell
      crumbs={[
        { label: "Workspaces", href: "/" },
        { label: workspace?.name ?? "Workspace", href: `/workspaces/${workspaceId}/` },
        { label: "Runs" },
      ]}
    >
      <div className="content">
        <div className="page-head">
          <h1>Runs in {workspace?.name ?? "…"}</h1>
        </div>
        {runList.error && <div className="callout callout-error">{runList.error}</div>}
        <div className="page-actions">
          <label className="muted small">
            Status{" "}
            <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="run-status-filter">
              <option value="">all</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>{s}</option>
              ))}
            </select>
          </label>
          <span className="muted small">Open a pipeline's runs to compare two of them.</span>
        </div>
        {runs?.length === 0 && <p className="muted">{status ? `No ${status} runs.` : "No runs yet."}</p>}
        {runs && runs.length > 0 && <RunTable runs={runs} pipeline />}
        <ListFooter list={runList} noun="runs" />
      </div>
    </Shell>
  );
}
