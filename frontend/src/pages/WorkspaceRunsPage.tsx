// Every run of a workspace, newest first, across its pipelines: find by pipeline, filter by status and by who or
// what started it, follow live.
import { useState } from "react";
import type { Run } from "../api/types";
import { useWorkspace } from "../api/useWorkspace";
import { RunTable, useLiveRuns } from "../runs/RunTable";
import { ListFooter } from "../ui/ListFooter";
import { ListSearch } from "../ui/ListSearch";
import { Shell, currentUser } from "../ui/Shell";
import { usePagedList } from "../ui/usePagedList";
import { useMembers } from "./useMembers";

const STATUSES = ["queued", "running", "succeeded", "failed", "canceled"];
const ENDPOINT_CALLS = "endpoint";

/** The query that keeps the runs a "Started by" choice names: a member's id, or endpoint calls. */
function startedByQuery(choice: string): string {
  if (choice === "") return "";
  return choice === ENDPOINT_CALLS ? "origin=endpoint" : `user=${choice}`;
}

export function WorkspaceRunsPage({ workspaceId }: { workspaceId: number }) {
  const workspace = useWorkspace(workspaceId);
  const [status, setStatus] = useState("");
  const [search, setSearch] = useState("");
  const [startedBy, setStartedBy] = useState("");
  const members = useMembers(workspaceId);
  const me = currentUser().username;
  const query = [status && `status=${status}`, startedByQuery(startedBy)].filter(Boolean).join("&");
  const path = `/api/workspaces/${workspaceId}/runs/${query ? `?${query}` : ""}`;
  const runList = usePagedList<Run>(path, search, (r) => r.id);
  const filtered = query !== "" || search.trim() !== "";
  useLiveRuns(workspaceId, runList, filtered);
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
        <ListSearch what="run" by="pipeline name" value={search} onChange={setSearch} testId="run-search" />
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
          <label className="muted small">
            Started by{" "}
            <select value={startedBy} onChange={(e) => setStartedBy(e.target.value)} data-testid="run-started-by-filter">
              <option value="">anyone</option>
              {members.map((m) => (
                <option key={m.user.id} value={String(m.user.id)}>
                  {m.user.username === me ? `${m.user.username} (you)` : m.user.username}
                </option>
              ))}
              <option value={ENDPOINT_CALLS}>endpoint calls</option>
            </select>
          </label>
          <span className="muted small">Open a pipeline's runs to compare two of them.</span>
        </div>
        {runs?.length === 0 && <p className="muted">{filtered ? "No run matches." : "No runs yet."}</p>}
        {runs && runs.length > 0 && <RunTable runs={runs} pipeline />}
        <ListFooter list={runList} noun="runs" />
      </div>
    </Shell>
  );
}
