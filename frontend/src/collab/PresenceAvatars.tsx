// Who else has the graph open: one avatar each, in their colour, saying what they are editing.
import type { Collaborator } from "../protocol.gen";
import { distinctUsers, type RemotePresence } from "./presence";

export function PresenceAvatars({ you, others, labels }: { you: Collaborator | null; others: readonly RemotePresence[]; labels: ReadonlyMap<string, string> }) {
  const people = distinctUsers(others);
  return (
    <div className="presence-avatars" data-testid="presence-avatars">
      {people.map((p) => {
        const editing = p.editing ? labels.get(p.editing) ?? p.editing : null;
        return (
          <span
            key={p.user.id}
            className="avatar"
            style={{ background: p.user.color }}
            title={editing ? `${p.user.name} is editing ${editing}` : `${p.user.name} has this graph open`}
            data-testid={`avatar-${p.user.name}`}
          >
            {initials(p.user.name)}
          </span>
        );
      })}
      {you && (
        <span className="avatar avatar-you" style={{ borderColor: you.color }} title={`You (${you.name})`}>
          {initials(you.name)}
        </span>
      )}
    </div>
  );
}

function initials(name: string): string {
  return name.slice(0, 2).toUpperCase();
}
