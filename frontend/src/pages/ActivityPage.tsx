// A workspace's activity log (owners): who changed its members, endpoints, keys, schedules, pipelines and datasets,
// newest first, in words; filter by action and by member.
import { useState } from "react";
import type { ActivityAction, ActivityEntry } from "../api/types";
import { useWorkspace } from "../api/useWorkspace";
import { ACTION_LABELS, entryText } from "../activity/entryText";
import { ListFooter } from "../ui/ListFooter";
import { Shell, currentUser } from "../ui/Shell";
import { usePagedList } from "../ui/usePagedList";
import { useMembers } from "./useMembers";

export function ActivityPage({ workspaceId }: { workspaceId: number }) {
  const workspace = useWorkspace(workspaceId);
  const [action, setAction] = useState<ActivityAction | "">("");
  const [user, setUser] = useState("");
  const members = useMembers(workspaceId);
  const me = currentUser().username;
  const query = [action && `action=${action}`, user && `user=${user}`].filter(Boolean).join("&");
  const list = usePagedList<ActivityEntry>(`/api/workspaces/${workspaceId}/activity/${query ? `?${query}` : ""}`, "", (e) => e.id);
  const entries = list.items;
  return (
    <Shell
      crumbs={[
        { label: "Workspaces", href: "/" },
        { label: workspace?.name ?? "Workspace", href: `/workspaces/${workspaceId}/` },
        { label: "Activity" },
      ]}
    >
      <div className="content">
        <div className="page-head">
          <h1>Activity in {workspace?.name ?? "…"}</h1>
        </div>
        <p className="muted small">
          Who changed members and roles, endpoints, keys and schedules, and deleted pipelines or datasets. Kept for as
          long as the workspace exists; only owners see it.
        </p>
        {list.error && <div className="callout callout-error">{list.error}</div>}
        <div className="page-actions">
          <label className="muted small">
            Action{" "}
            <select value={action} onChange={(e) => setAction(e.target.value as ActivityAction | "")} data-testid="activity-action-filter">
              <option value="">any</option>
              {Object.entries(ACTION_LABELS).map(([code, label]) => (
                <option key={code} value={code}>{label}</option>
              ))}
            </select>
          </label>
          <label className="muted small">
            By{" "}
            <select value={user} onChange={(e) => setUser(e.target.value)} data-testid="activity-user-filter">
              <option value="">anyone</option>
              {members.map((m) => (
                <option key={m.user.id} value={String(m.user.id)}>
                  {m.user.username === me ? `${m.user.username} (you)` : m.user.username}
                </option>
              ))}
            </select>
          </label>
        </div>
        {entries === null && !list.error && <p className="muted">Loading…</p>}
        {entries?.length === 0 && <p className="muted">{query ? "Nothing matches." : "Nothing recorded yet."}</p>}
        {entries && entries.length > 0 && (
          <table className="data-table list-table" data-testid="activity-list">
            <thead>
              <tr>
                <th>When</th>
                <th>What</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} data-testid="activity-entry">
                  <td className="muted small">{new Date(e.created_at).toLocaleString()}</td>
                  <td>{entryText(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <ListFooter list={list} noun="entries" />
      </div>
    </Shell>
  );
}
