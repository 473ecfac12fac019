// One endpoint: versions and default, enable, examples to copy, keys; a pipeline endpoint's datasets keys may read, schedules and call history,
// a real-time endpoint's traffic split, "try it" box and monitoring.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorMessage, items } from "../api/client";
import type { Workspace } from "../api/types";
import { mayEdit } from "../api/useWorkspace";
import { linkProps } from "../router";
import { openWorkspaceSocket } from "../runs/socket";
import { CopyButton } from "../ui/CopyButton";
import { ListFooter } from "../ui/ListFooter";
import { Shell } from "../ui/Shell";
import { useToast } from "../ui/toasts";
import { usePagedList } from "../ui/usePagedList";
import { CallsChart } from "./CallsChart";
import { curlExample, pythonExample, realtimeCurlExample, realtimePythonExample } from "./examples";
import { KeyDatasetsPanel } from "./KeyDatasetsPanel";
import { KeysPanel } from "./KeysPanel";
import { MonitoringPanel } from "./MonitoringPanel";
import { SchedulesPanel } from "./SchedulesPanel";
import { TrafficPanel } from "./TrafficPanel";
import { TryItPanel } from "./TryItPanel";
import type { Endpoint, Invocation, StatsPoint } from "./types";

export function EndpointPage({ endpointId }: { endpointId: number }) {
  const toast = useToast();
  const [endpoint, setEndpoint] = useState<Endpoint | null>(null);
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [siblings, setSiblings] = useState<Endpoint[]>([]);
  const callList = usePagedList<Invocation>(`/api/endpoints/${endpointId}/invocations/`, "", (c) => c.id);
  const calls = callList.items ?? [];
  const reloadCalls = callList.reload;
  const [stats, setStats] = useState<StatsPoint[]>([]);
  const [bucket, setBucket] = useState<"hour" | "day">("hour");
  const [freshKey, setFreshKey] = useState<string | undefined>();
  const [language, setLanguage] = useState<"curl" | "python">("curl");
  const [error, setError] = useState<string | null>(null);
  const [tried, setTried] = useState(0); // calls from the "try it" box: the monitoring reloads

  const loadEndpoint = useCallback(() => {
    api
      .get<Endpoint>(`/api/endpoints/${endpointId}/`)
      .then((e) => {
        setEndpoint(e);
        api.get<Workspace>(`/api/workspaces/${e.workspace}/`).then(setWorkspace).catch(() => undefined);
        api
          .get<{ results: Endpoint[] }>(`/api/workspaces/${e.workspace}/endpoints/?limit=200`)
          .then((d) => setSiblings(items(d)))
          .catch(() => undefined);
      })
      .catch((e) => setError(errorMessage(e)));
  }, [endpointId]);
  const loadStats = useCallback(() => {
    api
      .get<{ points: StatsPoint[] }>(`/api/endpoints/${endpointId}/stats/?bucket=${bucket}`)
      .then((d) => setStats(d.points))
      .catch(() => undefined);
  }, [endpointId, bucket]);
  useEffect(loadEndpoint, [loadEndpoint]);
  useEffect(loadStats, [loadStats]); // the calls load themselves (usePagedList)

  // calls made anywhere (a script, a schedule) show up live: any run change in the workspace reloads
  const reload = useRef<number | undefined>(undefined);
  const workspaceId = endpoint?.workspace;
  useEffect(() => {
    if (workspaceId === undefined) return;
    const socket = openWorkspaceSocket(workspaceId, {
      onMessage: () => {
        window.clearTimeout(reload.current);
        reload.current = window.setTimeout(() => {
          reloadCalls();
          loadStats();
        }, 300);
      },
    });
    return () => {
      socket.close();
      window.clearTimeout(reload.current);
    };
  }, [workspaceId, reloadCalls, loadStats]);

  if (error) {
    return (
      <Shell crumbs={[{ label: "Endpoint" }]}>
        <div className="callout callout-error page-message">Could not open this endpoint: {error}</div>
      </Shell>
    );
  }
  if (!endpoint) {
    return (
      <Shell crumbs={[{ label: "Loading…" }]}>
        <div className="page-loading">Loading…</div>
      </Shell>
    );
  }
  const canEdit = mayEdit(workspace);
  const realtime = endpoint.kind === "realtime";
  const current = endpoint.versions.find((v) => v.number === endpoint.default_version) ?? endpoint.versions[0];
  const scoring = realtime ? current?.scoring : null;
  const change = async (body: Record<string, unknown>): Promise<void> => {
    try {
      setEndpoint(await api.patch<Endpoint>(`/api/endpoints/${endpoint.id}/`, body));
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const example = scoring
    ? language === "curl"
      ? realtimeCurlExample(endpoint.invoke_url, scoring, freshKey)
      : realtimePythonExample(endpoint.invoke_url, scoring, freshKey)
    : current
      ? language === "curl"
        ? curlExample(endpoint.invoke_url, current.interface, freshKey)
        : pythonExample(endpoint.invoke_url, current.interface, freshKey)
      : "";

  return (
    <Shell
      crumbs={[
        { label: "Workspaces", href: "/" },
        { label: workspace?.name ?? "Workspace", href: `/workspaces/${endpoint.workspace}/` },
        { label: "Endpoints", href: `/workspaces/${endpoint.workspace}/endpoints/` },
        { label: endpoint.name },
      ]}
    >
      <div className="content endpoint-page">
        <div className="page-head">
          <h1 data-testid="endpoint-name">{endpoint.name}</h1>
          <div className="page-actions">
            <a className="button" {...linkProps(`/graphs/${endpoint.graph}/`)}>Open {endpoint.graph_name}</a>
            <a className="button" href={`/api/endpoints/${endpoint.id}/openapi/`} download={`${endpoint.name}.openapi.json`}>OpenAPI</a>
            {canEdit && (
              <button className={endpoint.enabled ? "danger" : "primary"} onClick={() => void change({ enabled: !endpoint.enabled })} data-testid="toggle-enabled">
                {endpoint.enabled ? "Disable" : "Enable"}
              </button>
            )}
          </div>
        </div>
        {!endpoint.enabled && <div className="callout callout-error">Disabled: calls are refused with 409 endpoint_disabled, and schedules do not call.</div>}
        {realtime && (
          <p className="muted small" data-testid="realtime-summary">
            Real-time endpoint: POST JSON rows to <code data-testid="score-url">{endpoint.invoke_url}</code> with an endpoint key and get the scored
            rows back at once (no run is started).
          </p>
        )}
        {realtime ? (
          <TrafficPanel endpoint={endpoint} canEdit={canEdit} change={change} />
        ) : (
        <section>
          <h2>Versions</h2>
          <table className="data-table list-table" data-testid="version-list">
            <thead>
              <tr>
                <th>Version</th>
                <th>Graph version</th>
                <th>Parameters</th>
                <th>Inputs</th>
                <th>Outputs</th>
                <th><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {endpoint.versions.map((v) => (
                <tr key={v.number}>
                  <td>v{v.number} {v.message && <span className="muted small">{v.message}</span>}</td>
                  <td>{v.graph_version}</td>
                  <td className="small">{Object.entries(v.interface.parameters).map(([n, p]) => `${n}: ${p.type}${p.required ? "" : "?"}`).join(", ") || "—"}</td>
                  <td className="small">{v.interface.inputs.map((i) => i.name + (i.required ? "" : "?")).join(", ") || "—"}</td>
                  <td className="small">{v.interface.outputs.map((o) => o.name).join(", ") || "—"}</td>
                  <td className="row-actions">
                    {v.number === endpoint.default_version ? (
                      <span className="badge">default</span>
                    ) : (
                      canEdit && <button className="small" onClick={() => void change({ default_version: v.number })}>Make default</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        )}
        <section>
          <div className="section-head">
            <h2>Call it</h2>
            <div className="inline-form">
              <select value={language} onChange={(e) => setLanguage(e.target.value as "curl" | "python")} aria-label="Example language" data-testid="example-language">
                <option value="curl">curl</option>
                <option value="python">Python</option>
              </select>
              <CopyButton text={example} label="Copy example" testId="copy-example" />
            </div>
          </div>
          <pre className="code-example" data-testid="example">{example}</pre>
          {!freshKey && <p className="muted small">Create a key below and the examples use it.</p>}
        </section>
        {scoring && <TryItPanel endpoint={endpoint} scoring={scoring} freshKey={freshKey} onCalled={() => setTried((n) => n + 1)} />}
        {!realtime && <KeyDatasetsPanel endpoint={endpoint} canEdit={canEdit} change={change} />}
        {canEdit && <KeysPanel workspaceId={endpoint.workspace} endpoints={siblings} endpoint={endpoint} onCreated={setFreshKey} />}
        {realtime && <MonitoringPanel endpointId={endpoint.id} refresh={tried} />}
        {!realtime && <SchedulesPanel endpoint={endpoint} canEdit={canEdit} />}
        {!realtime && (
        <section>
          <div className="section-head">
            <h2>Calls</h2>
            <select value={bucket} onChange={(e) => setBucket(e.target.value as "hour" | "day")} aria-label="Chart bucket" style={{ width: "auto" }}>
              <option value="hour">Last 48 hours</option>
              <option value="day">Last 30 days</option>
            </select>
          </div>
          <CallsChart points={stats} bucket={bucket} />
          <table className="data-table list-table" data-testid="call-history">
            <thead>
              <tr>
                <th>Call</th>
                <th>When</th>
                <th>Version</th>
                <th>Caller</th>
                <th>Status</th>
                <th>Duration</th>
                <th>Run</th>
              </tr>
            </thead>
            <tbody>
              {calls.map((c) => (
                <tr key={c.id} data-testid={`call-${c.id}`}>
                  <td>{c.id}</td>
                  <td className="small">{new Date(c.created_at).toLocaleString()}</td>
                  <td>v{c.version}</td>
                  <td className="small">{c.caller.kind}: {c.caller.name}</td>
                  <td className="wrap">
                    <span className={`status-pill pill-${c.status}`} data-testid="call-status">{c.status}</span>
                    {c.error && <div className="small muted">{c.error}</div>}
                  </td>
                  <td>{c.duration === null ? "—" : `${c.duration.toFixed(2)} s`}</td>
                  <td><a {...linkProps(`/runs/${c.run}/`)} data-testid="call-run">{c.run}</a></td>
                </tr>
              ))}
              {calls.length === 0 && (
                <tr>
                  <td colSpan={7} className="muted">No calls yet.</td>
                </tr>
              )}
            </tbody>
          </table>
          <ListFooter list={callList} noun="calls" />
        </section>
        )}
      </div>
    </Shell>
  );
}
