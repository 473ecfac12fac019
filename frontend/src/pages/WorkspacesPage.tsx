// The start page: your workspaces, and a form to create one.
import { useEffect, useState } from "react";
import { api, errorMessage, items } from "../api/client";
import type { Workspace } from "../api/types";
import { linkProps, navigate } from "../router";
import { Shell } from "../ui/Shell";

export function WorkspacesPage() {
  const [list, setList] = useState<Workspace[] | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .get<Workspace[] | { results: Workspace[] }>("/api/workspaces/?limit=200")
      .then((d) => setList(items(d)))
      .catch((e) => setError(errorMessage(e)));
  }, []);
  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!name.trim()) {
      setError("Name the new workspace first.");
      return;
    }
    try {
      const w = await api.post<Workspace>("/api/workspaces/", { name: name.trim() });
      navigate(`/workspaces/${w.id}/`);
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <Shell crumbs={[{ label: "Workspaces" }]}>
      <div className="content narrow">
        <div className="page-head">
          <h1>Workspaces</h1>
          <div className="page-actions">
            <a className="button" {...linkProps("/tokens/")} data-testid="tokens-link" title="Personal API tokens for scripts">API tokens</a>
          </div>
        </div>
        {error && <div className="callout callout-error">{error}</div>}
        {list === null && !error && <p className="muted">Loading…</p>}
        {list?.length === 0 && <p className="muted">You are not in any workspace yet. Create one to start building pipelines.</p>}
        <ul className="card-list" data-testid="workspace-list">
          {list?.map((w) => (
            <li key={w.id} className="card">
              <a {...linkProps(`/workspaces/${w.id}/`)} className="card-title">{w.name}</a>
              <span className="badge">{w.role}</span>
            </li>
          ))}
        </ul>
        <form className="inline-form" onSubmit={(e) => void create(e)}>
          <input type="text" placeholder="New workspace name" value={name} onChange={(e) => setName(e.target.value)} aria-label="New workspace name" />
          <button className="primary" type="submit">Create workspace</button>
        </form>
      </div>
    </Shell>
  );
}
