// The editor's Publish dialog: a saved version of this graph as a new endpoint (a pipeline run per call, or real-time
// scoring of JSON rows), or as the next version of one.
import { useEffect, useState } from "react";
import { api, errorMessage, items } from "../api/client";
import type { GraphVersion } from "../api/types";
import { linkProps } from "../router";
import { Dialog } from "../ui/Dialog";
import type { Endpoint, EndpointVersion } from "./types";

interface Props {
  graphId: number;
  workspaceId: number;
  graphName: string;
  /** Whether the graph is an inference graph (it holds a model frozen from a run): real-time is then the default. */
  inferenceGraph: boolean;
  /** Saves pending edits first, so "the draft" is what the server has. */
  beforePublish: () => Promise<void>;
  onClose: () => void;
}

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63);

export function PublishDialog({ graphId, workspaceId, graphName, inferenceGraph, beforePublish, onClose }: Props) {
  const [endpoints, setEndpoints] = useState<Endpoint[]>([]);
  const [versions, setVersions] = useState<GraphVersion[]>([]);
  const [target, setTarget] = useState<"new" | number>("new");
  const [name, setName] = useState(() => slug(graphName) || "endpoint");
  const [graphVersion, setGraphVersion] = useState<"draft" | number>("draft");
  const [kind, setKind] = useState<"pipeline" | "realtime">(() => (inferenceGraph ? "realtime" : "pipeline"));
  const [extraColumns, setExtraColumns] = useState<"ignore" | "refuse">("ignore");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<{ endpoint: number; name: string; version: number } | null>(null);

  useEffect(() => {
    api
      .get<{ results: Endpoint[] }>(`/api/workspaces/${workspaceId}/endpoints/?limit=200`)
      .then((d) => setEndpoints(items(d).filter((e) => e.graph === graphId)))
      .catch(() => setEndpoints([]));
    api
      .get<{ results: GraphVersion[] }>(`/api/graphs/${graphId}/versions/?limit=50`)
      .then((d) => setVersions(items(d)))
      .catch(() => setVersions([]));
  }, [graphId, workspaceId]);

  const publish = async () => {
    setBusy(true);
    setError(null);
    try {
      await beforePublish();
      const pinned = graphVersion === "draft" ? null : graphVersion;
      if (target === "new") {
        const body = { name, graph: graphId, graph_version: pinned, kind, ...(kind === "realtime" ? { extra_columns: extraColumns } : {}) };
        const e = await api.post<Endpoint>(`/api/workspaces/${workspaceId}/endpoints/`, body);
        setDone({ endpoint: e.id, name: e.name, version: 1 });
      } else {
        const v = await api.post<EndpointVersion>(`/api/endpoints/${target}/versions/`, { graph_version: pinned });
        setDone({ endpoint: target, name: endpoints.find((e) => e.id === target)?.name ?? "", version: v.number });
      }
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <Dialog title="Published" onClose={onClose} testId="publish-dialog" footer={<button className="primary" onClick={onClose}>Close</button>}>
        <p data-testid="publish-done">
          Version {done.version} of endpoint <strong>{done.name}</strong> is live and is its default version.
        </p>
        <p>
          <a {...linkProps(`/endpoints/${done.endpoint}/`)} data-testid="open-endpoint">Open the endpoint page</a> for keys, examples and{" "}
          {kind === "realtime" ? "a box to try it" : "schedules"}.
        </p>
      </Dialog>
    );
  }
  return (
    <Dialog
      title="Publish as an endpoint"
      onClose={onClose}
      testId="publish-dialog"
      footer={
        <>
          <button onClick={onClose}>Cancel</button>
          <button className="primary" disabled={busy || (target === "new" && !/^[a-z0-9][a-z0-9-]*$/.test(name))} onClick={() => void publish()} data-testid="publish-confirm">
            {busy ? "Publishing…" : "Publish"}
          </button>
        </>
      }
    >
      {target === "new" && (
        <fieldset className="field kind-choice" data-testid="publish-kind">
          <legend className="field-label">Kind</legend>
          <label>
            <input type="radio" name="publish-kind" value="realtime" checked={kind === "realtime"} onChange={() => setKind("realtime")} data-testid="kind-realtime" />{" "}
            <strong>Real-time</strong>: callers POST JSON rows and get scored rows back at once. The graph is compiled once (frozen model and
            transforms, ONNX where it matches scikit-learn) and served warm.
          </label>
          <label>
            <input type="radio" name="publish-kind" value="pipeline" checked={kind === "pipeline"} onChange={() => setKind("pipeline")} data-testid="kind-pipeline" />{" "}
            <strong>Pipeline</strong>: each call starts a run with the caller's parameters and, for each Web service input, a file or a dataset;
            callers follow the run and download what reaches a Web service output.
          </label>
        </fieldset>
      )}
      <div className="field">
        <label className="field-label" htmlFor="publish-target">Endpoint</label>
        <select id="publish-target" value={String(target)} onChange={(e) => setTarget(e.target.value === "new" ? "new" : Number(e.target.value))}>
          <option value="new">A new endpoint</option>
          {endpoints.map((e) => (
            <option key={e.id} value={e.id}>
              Next version of {e.name}
            </option>
          ))}
        </select>
      </div>
      {target === "new" && (
        <div className="field">
          <label className="field-label" htmlFor="publish-name">Name</label>
          <input id="publish-name" value={name} onChange={(e) => setName(slug(e.target.value) || e.target.value.toLowerCase())} data-testid="publish-name" />
          <div className="field-hint">Lower-case letters, digits and dashes; it appears in the endpoint's URL-facing name.</div>
        </div>
      )}
      <div className="field">
        <label className="field-label" htmlFor="publish-version">Graph version</label>
        <select id="publish-version" value={String(graphVersion)} onChange={(e) => setGraphVersion(e.target.value === "draft" ? "draft" : Number(e.target.value))}>
          <option value="draft">The current draft (saved as a version if it changed)</option>
          {versions.map((v) => (
            <option key={v.number} value={v.number}>
              Version {v.number}
              {v.message ? ` — ${v.message}` : ""}
            </option>
          ))}
        </select>
      </div>
      {target === "new" && kind === "realtime" && (
        <div className="field">
          <label className="field-label" htmlFor="publish-extra">Columns the input does not name</label>
          <select id="publish-extra" value={extraColumns} onChange={(e) => setExtraColumns(e.target.value as "ignore" | "refuse")}>
            <option value="ignore">Ignore them</option>
            <option value="refuse">Refuse the call (422 naming each)</option>
          </select>
        </div>
      )}
      {error && <div className="callout callout-error" data-testid="publish-error">{error}</div>}
    </Dialog>
  );
}
