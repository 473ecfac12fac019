// Version history: commit the draft, open a version read-only, compare it with the draft, restore it.
import { useCallback, useEffect, useState } from "react";
import { api, errorMessage, items } from "../api/client";
import type { GraphVersion } from "../api/types";

interface Props {
  graphId: number;
  viewing: number | null;
  canEdit: boolean;
  beforeCommit: () => Promise<void>;
  onOpen: (n: number, compare: boolean) => void;
  onRestore: (n: number) => void;
  refreshKey: number;
}


export function VersionsPanel({ graphId, viewing, canEdit, beforeCommit, onOpen, onRestore, refreshKey }: Props) {
  const [versions, setVersions] = useState<GraphVersion[] | null>(null);
  const [message, setMessage] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(() => {
    api
      .get<GraphVersion[] | { results: GraphVersion[] }>(`/api/graphs/${graphId}/versions/?limit=100`)
      .then((d) => setVersions(items(d)))
      .catch((e) => setError(errorMessage(e)));
  }, [graphId]);
  useEffect(load, [load, refreshKey]);
  const commit = async () => {
    setBusy(true);
    setError(null);
    try {
      await beforeCommit();
      await api.post(`/api/graphs/${graphId}/versions/`, { message });
      setMessage("");
      load();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="versions" data-testid="versions-panel">
      {canEdit && (
        <form
          className="commit-form"
          onSubmit={(e) => {
            e.preventDefault();
            void commit();
          }}
        >
          <input type="text" placeholder="Describe this version" value={message} onChange={(e) => setMessage(e.target.value)} aria-label="Version message" />
          <button type="submit" className="primary" disabled={busy}>
            Save version
          </button>
        </form>
      )}
      {error && <div className="callout callout-error">{error}</div>}
      {versions === null && !error && <p className="muted">Loading…</p>}
      {versions?.length === 0 && <p className="muted">No versions yet. Running the pipeline or saving a version adds one.</p>}
      <ul className="version-list">
        {versions?.map((v) => (
          <li key={v.number} className={viewing === v.number ? "active" : ""} data-testid={`version-${v.number}`}>
            <div className="version-head">
              <strong>v{v.number}</strong>
              <span className="muted small">
                {v.author} · {new Date(v.created_at).toLocaleString()}
              </span>
            </div>
            {v.message && <div className="version-message">{v.message}</div>}
            <div className="version-actions">
              <button className="small" onClick={() => onOpen(v.number, false)}>Open</button>
              <button className="small" onClick={() => onOpen(v.number, true)}>Compare with draft</button>
              {canEdit && (
                <button className="small" onClick={() => onRestore(v.number)}>
                  Restore
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
