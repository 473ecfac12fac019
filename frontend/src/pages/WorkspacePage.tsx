// One workspace: its graphs (create, rename, duplicate, delete, import, export) and its members.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorMessage, items } from "../api/client";
import type { GraphSummary, Invitation, Membership, Storage, Workspace } from "../api/types";
import { mayEdit } from "../api/useWorkspace";
import { linkProps, navigate } from "../router";
import { ListFooter } from "../ui/ListFooter";
import { ListSearch } from "../ui/ListSearch";
import { currentUser, Shell } from "../ui/Shell";
import { useToast } from "../ui/toasts";
import { usePagedList } from "../ui/usePagedList";
import { ExamplesDialog } from "./ExamplesDialog";
import { Invitations } from "./Invitations";
import { StorageLine } from "./StorageLine";

const ROLES = ["viewer", "editor", "owner"];

export function WorkspacePage({ workspaceId }: { workspaceId: number }) {
  const toast = useToast();
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  const [search, setSearch] = useState("");
  const graphList = usePagedList<GraphSummary>(`/api/workspaces/${workspaceId}/graphs/`, search, (g) => g.id);
  const graphs = graphList.items;
  const [members, setMembers] = useState<Membership[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [newName, setNewName] = useState("");
  const [invite, setInvite] = useState({ user: "", role: "editor" });
  const [invitationsSent, setInvitationsSent] = useState(0);
  const [storage, setStorage] = useState<Storage | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const [choosingExample, setChoosingExample] = useState(false);

  const load = useCallback(() => {
    api.get<Workspace>(`/api/workspaces/${workspaceId}/`).then(setWorkspace).catch((e) => setError(errorMessage(e)));
    api
      .get<Membership[] | { results: Membership[] }>(`/api/workspaces/${workspaceId}/members/?limit=200`)
      .then((d) => setMembers(items(d)))
      .catch(() => setMembers([]));
    api
      .get<Storage>(`/api/workspaces/${workspaceId}/storage/`)
      .then(setStorage)
      .catch(() => setStorage(null));
  }, [workspaceId]);
  useEffect(load, [load]);

  const act = async (f: () => Promise<unknown>, done?: string) => {
    try {
      await f();
      if (done) toast(done, "success");
      load();
      graphList.reload();
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    const name = newName.trim() || "Untitled pipeline";
    try {
      const g = await api.post<GraphSummary>(`/api/workspaces/${workspaceId}/graphs/`, { name });
      navigate(`/graphs/${g.id}/`);
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const importFile = async (file: File) => {
    let document: unknown;
    try {
      document = JSON.parse(await file.text());
    } catch {
      toast(`Import failed: ${file.name} is not JSON; choose a pipeline's Export or a graph document (.json).`, "error");
      return;
    }
    try {
      const name = file.name.replace(/\.json$/i, "");
      const body = typeof document === "object" && document !== null && "document" in document ? document : { name, document };
      const g = await api.post<GraphSummary>(`/api/workspaces/${workspaceId}/graphs/import/`, body);
      toast(`Imported “${g.name}”.`, "success");
      graphList.reload();
    } catch (err) {
      toast(`Import failed: ${errorMessage(err)}`, "error");
    }
  };
  const addMember = async (e: React.FormEvent) => {
    e.preventDefault();
    const user = invite.user.trim();
    if (!user) return;
    try {
      const added = await api.post<Membership | Invitation>(`/api/workspaces/${workspaceId}/members/`, { user, role: invite.role });
      if ("email" in added) {
        toast(`No account has ${added.email}: an invitation was mailed to it.`, "success");
        setInvitationsSent((n) => n + 1);
      } else {
        toast(`${added.user.username} added as ${added.role}.`, "success");
        load();
      }
      setInvite({ ...invite, user: "" });
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const leave = async () => {
    if (!window.confirm(`Leave “${workspace?.name ?? ""}”? You lose access to its pipelines, runs and datasets until someone adds you again.`)) return;
    try {
      await api.post(`/api/workspaces/${workspaceId}/leave/`, {});
      toast(`You left “${workspace?.name ?? ""}”.`, "success");
      navigate("/");
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const isOwner = workspace?.role === "owner";
  const me = currentUser().username; // leaves by "Leave workspace", not by removing themselves
  const canEdit = mayEdit(workspace);

  return (
    <Shell crumbs={[{ label: "Workspaces", href: "/" }, { label: workspace?.name ?? "…" }]}>
      {choosingExample && <ExamplesDialog workspaceId={workspaceId} onClose={() => setChoosingExample(false)} onCreated={(g) => navigate(`/graphs/${g.id}/`)} />}
      <div className="content">
        <div className="page-head">
          <h1>{workspace?.name ?? "Workspace"}</h1>
          <div className="page-actions">
            <a className="button" {...linkProps(`/workspaces/${workspaceId}/datasets/`)}>Datasets</a>
            <a className="button" {...linkProps(`/workspaces/${workspaceId}/endpoints/`)} data-testid="endpoints-link">Endpoints</a>
            <a className="button" {...linkProps(`/workspaces/${workspaceId}/runs/`)} data-testid="runs-link">Runs</a>
            {isOwner && <a className="button" {...linkProps(`/workspaces/${workspaceId}/activity/`)} data-testid="activity-link">Activity</a>}
          </div>
        </div>
        {(error ?? graphList.error) && <div className="callout callout-error">{error ?? graphList.error}</div>}
        {storage && <StorageLine storage={storage} />}
        <section>
          <div className="section-head">
            <h2>Pipelines</h2>
            {canEdit && (
              <form className="inline-form" onSubmit={(e) => void create(e)}>
                <input type="text" placeholder="New pipeline name" value={newName} onChange={(e) => setNewName(e.target.value)} aria-label="New pipeline name" data-testid="new-graph-name" />
                <button className="primary" type="submit" data-testid="create-graph">New pipeline</button>
                <button type="button" onClick={() => setChoosingExample(true)} data-testid="from-example">
                  From an example…
                </button>
                <button type="button" onClick={() => fileInput.current?.click()}>Import JSON…</button>
                <input ref={fileInput} type="file" accept="application/json,.json" hidden onChange={(e) => e.target.files?.[0] && void importFile(e.target.files[0])} />
              </form>
            )}
          </div>
          <ListSearch what="pipeline" value={search} onChange={setSearch} testId="graph-search" />
          {graphs === null && <p className="muted">Loading…</p>}
          {graphs?.length === 0 && <p className="muted">{search.trim() ? `No pipeline matches “${search.trim()}”.` : canEdit ? "No pipelines yet: name a new one, or start from an example." : "No pipelines yet."}</p>}
          {graphs && graphs.length > 0 && (
            <table className="data-table list-table" data-testid="graph-list">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Latest version</th>
                  <th>Updated</th>
                  <th><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {graphs.map((g) => (
                  <tr key={g.id} data-testid={`graph-row-${g.id}`}>
                    <td className="grow">
                      <a {...linkProps(`/graphs/${g.id}/`)} className="strong">{g.name}</a>
                      {g.description && <div className="muted small">{g.description}</div>}
                    </td>
                    <td>{g.latest_version ? `v${g.latest_version}` : <span className="muted">draft only</span>}</td>
                    <td className="muted small">{g.updated_at ? new Date(g.updated_at).toLocaleString() : ""}</td>
                    <td className="row-actions">
                      <a className="button small" {...linkProps(`/graphs/${g.id}/runs/`)}>Runs</a>
                      {canEdit && (
                        <button
                          className="small"
                          onClick={() => {
                            const name = window.prompt("Rename pipeline", g.name)?.trim();
                            if (name && name !== g.name) void act(() => api.patch(`/api/graphs/${g.id}/`, { name }));
                          }}
                        >
                          Rename
                        </button>
                      )}
                      {canEdit && <button className="small" onClick={() => void act(() => api.post(`/api/graphs/${g.id}/duplicate/`, {}), "Duplicated.")}>Duplicate</button>}
                      <a className="button small" href={`/api/graphs/${g.id}/export/`} download>Export</a>
                      {canEdit && (
                        <button
                          className="small danger"
                          onClick={() => {
                            if (window.confirm(`Delete “${g.name}” with its versions and all its runs?`)) void act(() => api.delete(`/api/graphs/${g.id}/?with_runs=1`), "Deleted.");
                          }}
                        >
                          Delete
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <ListFooter list={graphList} noun="pipelines" />
        </section>
        <section>
          <h2>Members</h2>
          <table className="data-table list-table" data-testid="member-list">
            <tbody>
              {members.map((m) => {
                const u = m.user;
                return (
                  <tr key={u.id}>
                    <td>{u.username}</td>
                    <td>
                      {isOwner ? (
                        <select value={m.role} aria-label={`Role of ${u.username}`} onChange={(e) => void act(() => api.patch(`/api/workspaces/${workspaceId}/members/${u.id}/`, { role: e.target.value }))}>
                          {ROLES.map((r) => <option key={r}>{r}</option>)}
                        </select>
                      ) : (
                        <span className="badge">{m.role}</span>
                      )}
                    </td>
                    <td className="row-actions">
                      {isOwner && u.username !== me && (
                        <button className="small danger" onClick={() => window.confirm(`Remove ${u.username}?`) && void act(() => api.delete(`/api/workspaces/${workspaceId}/members/${u.id}/`))}>
                          Remove
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {isOwner && (
            <form className="inline-form" onSubmit={(e) => void addMember(e)}>
              <input type="text" placeholder="E-mail, or username of a colleague" title="An e-mail address (someone without an account gets an invitation by mail), or the username of someone you already share a workspace with" value={invite.user} onChange={(e) => setInvite({ ...invite, user: e.target.value })} aria-label="Username or email" data-testid="invite-user" />
              <select value={invite.role} onChange={(e) => setInvite({ ...invite, role: e.target.value })} aria-label="Role">
                {ROLES.map((r) => <option key={r}>{r}</option>)}
              </select>
              <button type="submit" data-testid="invite-submit">Add member</button>
            </form>
          )}
          {isOwner && <Invitations workspaceId={workspaceId} version={invitationsSent} />}
          {workspace && (
            <p>
              <button type="button" className="small danger" onClick={() => void leave()} data-testid="leave-workspace">
                Leave workspace
              </button>
            </p>
          )}
        </section>
      </div>
    </Shell>
  );
}
