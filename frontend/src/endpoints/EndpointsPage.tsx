// A workspace's endpoints: each with its default version and state, and the workspace's endpoint keys.
import { useCallback, useEffect, useState } from "react";
import { api, errorMessage, items } from "../api/client";
import type { Workspace } from "../api/types";
import { mayEdit } from "../api/useWorkspace";
import { linkProps } from "../router";
import { Shell } from "../ui/Shell";
import { KeysPanel } from "./KeysPanel";
import type { Endpoint } from "./types";

export function EndpointsPage({ workspaceId }: { workspaceId: number }) {
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [endpoints, setEndpoints] = useState<Endpoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api.get<Workspace>(`/api/workspaces/${workspaceId}/`).then(setWorkspace).catch((e) => setError(errorMessage(e)));
    api
      .get<{ results: Endpoint[] }>(`/api/workspaces/${workspaceId}/endpoints/?limit=200`)
      .then((d) => setEndpoints(items(d)))
      .catch((e) => setError(errorMessage(e)));
  }, [workspaceId]);
  useEffect(load, [load]);
  const canEdit = mayEdit(workspace);

  return (
    <Shell crumbs={[{ label: "Workspaces", href: "/" }, { label: workspace?.name ?? "…", href: `/workspaces/${workspaceId}/` }, { label: "Endpoints" }]}>
      <div className="content endpoint-page">
        <div className="page-head">
          <h1>Endpoints</h1>
        </div>
        {error && <div className="callout callout-error">{error}</div>}
        <p className="muted">Publish a pipeline from its editor (Publish button) to call it with a key, from scripts or on a schedule.</p>
        {endpoints?.length === 0 && <p className="muted">No endpoints yet.</p>}
        {endpoints && endpoints.length > 0 && (
          <table className="data-table list-table" data-testid="endpoint-list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Pipeline</th>
                <th>Default version</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((e) => (
                <tr key={e.id} data-testid={`endpoint-row-${e.id}`}>
                  <td className="grow">
                    <a className="strong" {...linkProps(`/endpoints/${e.id}/`)}>{e.name}</a>
                    {e.description && <div className="muted small">{e.description}</div>}
                  </td>
                  <td><a {...linkProps(`/graphs/${e.graph}/`)}>{e.graph_name}</a></td>
                  <td>v{e.default_version} of {e.versions.length}</td>
                  <td>{e.enabled ? <span className="status-pill pill-succeeded">enabled</span> : <span className="status-pill">disabled</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {canEdit && endpoints && <KeysPanel workspaceId={workspaceId} endpoints={endpoints} />}
      </div>
    </Shell>
  );
}
