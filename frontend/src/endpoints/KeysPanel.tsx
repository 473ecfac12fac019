// Endpoint keys: create (shown once, with copy), list by prefix with scope and last use, revoke.
import { useCallback, useEffect, useState } from "react";
import { api, errorMessage, items } from "../api/client";
import { SecretReveal } from "../ui/SecretReveal";
import { useToast } from "../ui/toasts";
import type { Endpoint, EndpointKey } from "./types";

interface Props {
  workspaceId: number;
  endpoints: Endpoint[];
  /** On an endpoint's page: new keys default to it, and only keys that can call it are listed. */
  endpoint?: Endpoint;
  onCreated?: (raw: string) => void;
}

export function KeysPanel({ workspaceId, endpoints, endpoint, onCreated }: Props) {
  const toast = useToast();
  const [keys, setKeys] = useState<EndpointKey[]>([]);
  const [name, setName] = useState("");
  const [scope, setScope] = useState<string>(endpoint ? String(endpoint.id) : "all");
  const [rate, setRate] = useState(60);
  const [fresh, setFresh] = useState<EndpointKey | null>(null);

  const load = useCallback(() => {
    api
      .get<{ results: EndpointKey[] }>(`/api/workspaces/${workspaceId}/endpoint-keys/?limit=200`)
      .then((d) => setKeys(items(d).filter((k) => !endpoint || k.endpoint === null || k.endpoint === endpoint.id)))
      .catch(() => setKeys([]));
  }, [workspaceId, endpoint]);
  useEffect(load, [load]);

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!name.trim()) {
      toast("Name the key first, to tell it apart in the keys list.", "error");
      return;
    }
    try {
      const key = await api.post<EndpointKey>(`/api/workspaces/${workspaceId}/endpoint-keys/`, {
        name: name.trim(),
        endpoint: scope === "all" ? null : Number(scope),
        rate_per_minute: rate,
      });
      setFresh(key);
      setName("");
      if (key.key) onCreated?.(key.key);
      load();
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const revoke = async (key: EndpointKey) => {
    if (!window.confirm(`Revoke key ${key.name} (${key.prefix}…)? Calls with it stop at once.`)) return;
    try {
      await api.delete(`/api/endpoint-keys/${key.id}/`);
      load();
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };

  return (
    <section data-testid="keys-panel">
      <h2>Keys</h2>
      <p className="muted small">Keys only call endpoints and read the calls they made: they cannot read graphs, datasets or other runs.</p>
      {fresh?.key && (
        <SecretReveal noun="Key" name={fresh.name} value={fresh.key} testId="new-key" />
      )}
      <form className="inline-form" onSubmit={(e) => void create(e)}>
        <input placeholder="Key name" value={name} onChange={(e) => setName(e.target.value)} aria-label="Key name" data-testid="key-name" />
        <select value={scope} onChange={(e) => setScope(e.target.value)} aria-label="Key scope">
          <option value="all">Every endpoint of the workspace</option>
          {endpoints.map((e) => (
            <option key={e.id} value={e.id}>
              Only {e.name}
            </option>
          ))}
        </select>
        <label className="small">
          <input type="number" min={1} max={100000} value={rate} onChange={(e) => setRate(Number(e.target.value))} aria-label="Calls per minute" style={{ width: 80 }} /> calls/min
        </label>
        <button className="primary" type="submit" data-testid="create-key">Create key</button>
      </form>
      <table className="data-table list-table" data-testid="key-list">
        <thead>
          <tr>
            <th>Name</th>
            <th>Prefix</th>
            <th>Scope</th>
            <th>Rate</th>
            <th>Last used</th>
            <th><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} className={k.revoked_at ? "muted" : ""}>
              <td>{k.name}</td>
              <td><code>{k.prefix}…</code></td>
              <td>{k.endpoint_name ?? "every endpoint"}</td>
              <td>{k.rate_per_minute}/min</td>
              <td className="small">{k.last_used_at ? new Date(k.last_used_at).toLocaleString() : "never"}</td>
              <td className="row-actions">
                {k.revoked_at ? <span className="badge">revoked</span> : <button className="small danger" onClick={() => void revoke(k)}>Revoke</button>}
              </td>
            </tr>
          ))}
          {keys.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">No keys yet.</td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
