// The editor's Publish dialog: a saved version of this graph as a new endpoint, or as the next version of one.
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
  /** Saves pending edits first, so "the draft" is what the server has. */
  beforePublish: () => Promise<void>;
  onClose: () => void;
}

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63);

export function PublishDialog({ graphId, workspaceId, graphName, beforePublish, onClose }: Props) {
  const [endpoints, setEndpoints] = useState<Endpoint[]>([]);
  const [versions, setVersions] = useState<GraphVersion[]>([]);
  const [target, setTarget] = useState<"new" | number>("new");
  const [name, setName] = useState(() => slug(graphName) || "endpoint");
  const [graphVersion, setGraphVersion] = useState<"draft" | number>("draft");
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
        const e = await api.post<Endpoint>(`/api/workspaces/${workspaceId}/endpoints/`, { name, graph: graphId, graph_version: pinned });
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
          <a {...linkProps(`/endpoints/${done.endpoint}/`)} data-testid="open-endpoint">Open the endpoint page</a> for keys, examples and schedules.
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
      <p className="muted small">
        Callers send the pipeline parameters and, for each Web service input, a file or a registered dataset; they get back the tables that
        reach a Web service output.
      </p>
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
      {error && <div className="callout callout-error" data-testid="publish-error">{error}</div>}
    </Dialog>
  );
}
