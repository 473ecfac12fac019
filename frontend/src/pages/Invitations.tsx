// A workspace's pending invitations, for its owners: the address, role, who sent it, until when; resend (a new
// link, seven days more), revoke.
import { useCallback, useEffect, useState } from "react";
import { api, errorMessage, items } from "../api/client";
import type { Invitation } from "../api/types";
import { useToast } from "../ui/toasts";

/** The invitations not yet accepted or revoked; `version` changes when the owner sends another. */
export function Invitations({ workspaceId, version }: { workspaceId: number; version: number }) {
  const toast = useToast();
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const load = useCallback(() => {
    api
      .get<Invitation[] | { results: Invitation[] }>(`/api/workspaces/${workspaceId}/invitations/?limit=200`)
      .then((d) => setInvitations(items(d)))
      .catch(() => setInvitations([]));
  }, [workspaceId]);
  useEffect(load, [load, version]);
  const revoke = async (invitation: Invitation) => {
    if (!window.confirm(`Revoke the invitation of ${invitation.email}? Its link stops working.`)) return;
    try {
      await api.delete(`/api/workspaces/${workspaceId}/invitations/${invitation.id}/`);
      toast(`Invitation of ${invitation.email} revoked.`, "success");
      load();
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const resend = async (invitation: Invitation) => {
    try {
      await api.post(`/api/workspaces/${workspaceId}/members/`, { user: invitation.email, role: invitation.role });
      toast(`Invitation mailed again to ${invitation.email}; the earlier link no longer works.`, "success");
      load();
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  if (invitations.length === 0) return null;
  return (
    <>
      <h3>Invited</h3>
      <table className="data-table list-table" data-testid="invitation-list">
        <tbody>
          {invitations.map((i) => (
            <tr key={i.id} data-testid={`invitation-${i.email}`}>
              <td>{i.email}</td>
              <td>
                <span className="badge">{i.role}</span>
              </td>
              <td className="muted">
                {i.expired ? "expired: invite again to renew" : `until ${new Date(i.expires_at).toLocaleDateString()}`}
                {i.invited_by ? ` · by ${i.invited_by}` : ""}
              </td>
              <td className="row-actions">
                <button className="small" onClick={() => void resend(i)} data-testid={`resend-${i.email}`}>
                  Resend
                </button>{" "}
                <button className="small danger" onClick={() => void revoke(i)}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
