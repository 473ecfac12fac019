// Version history: commit the draft, open a version read-only, compare any two versions (or one with
// the draft) node by node, restore one after saying so.
import { useEffect, useState } from "react";
import { api, errorMessage } from "../api/client";
import type { GraphVersion } from "../api/types";
import { ListFooter } from "../ui/ListFooter";
import { usePagedList } from "../ui/usePagedList";
import { diffLines, type ServerDiff } from "./diff";

interface Props {
  graphId: number;
  viewing: number | null;
  canEdit: boolean;
  beforeCommit: () => Promise<void>;
  onOpen: (n: number, compare: boolean) => void;
  onRestore: (n: number) => void;
  refreshKey: number;
  /** Node labels of the draft and module names, to name nodes in the list of changes. */
  labels: ReadonlyMap<string, string>;
  moduleName: (ref: string) => string | undefined;
}


function Changes({ graphId, versions, labels, moduleName }: { graphId: number; versions: GraphVersion[]; labels: ReadonlyMap<string, string>; moduleName: (ref: string) => string | undefined }) {
  const [from, setFrom] = useState(String(versions[1]?.number ?? versions[0]?.number ?? ""));
  const [to, setTo] = useState("draft");
  const [moves, setMoves] = useState(false);
  const [diff, setDiff] = useState<ServerDiff | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [asked, setAsked] = useState(0); // the draft changes under the panel: compare on demand
  useEffect(() => {
    if (!from || asked === 0) return;
    setError(null);
    api
      .get<ServerDiff>(`/api/graphs/${graphId}/diff/?from=${from}&to=${to}`)
      .then(setDiff)
      .catch((e) => setError(errorMessage(e)));
  }, [asked, from, graphId, to]);
  const lines = diff ? diffLines(diff, labels, moduleName, moves) : [];
  const sides = [...versions.map((v) => String(v.number)), "draft"];
  return (
    <section className="version-changes" data-testid="version-changes">
      <div className="inline-form">
        <select value={from} onChange={(e) => setFrom(e.target.value)} aria-label="Compare from" data-testid="diff-from">
          {sides.map((v) => <option key={v} value={v}>{v === "draft" ? "draft" : `v${v}`}</option>)}
        </select>
        <span>→</span>
        <select value={to} onChange={(e) => setTo(e.target.value)} aria-label="Compare to" data-testid="diff-to">
          {sides.map((v) => <option key={v} value={v}>{v === "draft" ? "draft" : `v${v}`}</option>)}
        </select>
        <label className="small">
          <input type="checkbox" checked={moves} onChange={(e) => setMoves(e.target.checked)} /> moves
        </label>
        <button className="small" onClick={() => setAsked((n) => n + 1)} data-testid="diff-show">
          Show changes
        </button>
      </div>
      {error && <div className="callout callout-error">{error}</div>}
      {diff && lines.length === 0 && <p className="muted small">No changes{moves ? "" : " (besides moves)"}.</p>}
      <ul className="diff-lines" data-testid="diff-lines">
        {lines.map((l, i) => <li key={i}>{l}</li>)}
      </ul>
    </section>
  );
}

export function VersionsPanel({ graphId, viewing, canEdit, beforeCommit, onOpen, onRestore, refreshKey, labels, moduleName }: Props) {
  const versionList = usePagedList<GraphVersion>(`/api/graphs/${graphId}/versions/`, "", (v) => v.number);
  const versions = versionList.items;
  const load = versionList.reload;
  const [message, setMessage] = useState("");
  const [commitError, setCommitError] = useState<string | null>(null);
  const error = commitError ?? versionList.error;
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (refreshKey) load();
  }, [load, refreshKey]);
  const commit = async () => {
    setBusy(true);
    setCommitError(null);
    try {
      await beforeCommit();
      await api.post(`/api/graphs/${graphId}/versions/`, { message });
      setMessage("");
      load();
    } catch (e) {
      setCommitError(errorMessage(e));
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
      {versions && versions.length > 0 && <Changes graphId={graphId} versions={versions} labels={labels} moduleName={moduleName} />}
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
      <ListFooter list={versionList} noun="versions" />
    </div>
  );
}
