// An activity entry in words: "alice changed bob's role from viewer to editor".
import type { ActivityAction, ActivityEntry } from "../api/types";

/** Each action as the filter names it. */
export const ACTION_LABELS: Record<ActivityAction, string> = {
  workspace_renamed: "Workspace renamed",
  member_added: "Member added",
  member_removed: "Member removed",
  member_role_changed: "Role changed",
  member_joined: "Member joined",
  member_left: "Member left",
  invitation_sent: "Invitation sent",
  invitation_revoked: "Invitation revoked",
  endpoint_published: "Endpoint published",
  endpoint_version_published: "Endpoint version published",
  endpoint_changed: "Endpoint changed",
  endpoint_deleted: "Endpoint deleted",
  key_created: "Key created",
  key_revoked: "Key revoked",
  schedule_created: "Schedule created",
  schedule_changed: "Schedule changed",
  schedule_deleted: "Schedule deleted",
  graph_deleted: "Pipeline deleted",
  dataset_deleted: "Dataset deleted",
  dataset_archived: "Dataset archived",
};

type Change = { from?: unknown; to?: unknown };

/** Who did it: the user's name (kept after the account is deleted), or "Someone" when none. */
function actorOf(entry: ActivityEntry): string {
  return entry.actor_name || "Someone";
}

function value(v: unknown): string {
  if (v === null || v === undefined || v === "") return "none";
  if (Array.isArray(v)) return v.length ? v.map(String).join(", ") : "none";
  if (typeof v === "object" && "version" in v && "percent" in v) return `v${String(v.version)} at ${String(v.percent)}%`;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function plural(n: unknown, noun: string): string {
  return `${String(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** "cron 0 6 * * * → 0 7 * * *, parameters": each change, those without values by name only. */
function changeList(changes: unknown): string {
  const entries = Object.entries((changes ?? {}) as Record<string, Change>);
  return entries
    .map(([field, change]) => {
      const name = field.replaceAll("_", " ");
      if (field === "enabled") return change.to ? "enabled it" : "disabled it";
      if (!("to" in change) || field === "description") return name;
      return `${name} ${value(change.from)} → ${value(change.to)}`;
    })
    .join(", ");
}

function endpointOf(details: Record<string, unknown>): string {
  return details.endpoint_name ? `endpoint ${String(details.endpoint_name)}` : "all endpoints";
}

/** The entry as a sentence that starts with who did it. */
export function entryText(entry: ActivityEntry): string {
  const who = actorOf(entry);
  const name = entry.target_name;
  const d = entry.details;
  switch (entry.action) {
    case "workspace_renamed":
      return `${who} renamed the workspace from “${value(d.from)}” to “${value(d.to)}”`;
    case "member_added":
      return `${who} added ${name} as ${value(d.role)}`;
    case "member_removed":
      return `${who} removed ${name} (${value(d.role)})`;
    case "member_joined":
      return `${who} joined as ${value(d.role)}${d.invited_by ? `, invited by ${String(d.invited_by)}` : ""}`;
    case "member_left":
      return `${who} left the workspace (${value(d.role)})`;
    case "invitation_sent":
      return `${who} invited ${name} as ${value(d.role)}`;
    case "invitation_revoked":
      return `${who} revoked the invitation of ${name}`;
    case "member_role_changed":
      return `${who} changed ${name}'s role from ${value(d.from)} to ${value(d.to)}`;
    case "endpoint_published":
      return `${who} published endpoint ${name} from pipeline “${value(d.graph_name)}” (version ${value(d.graph_version)})`;
    case "endpoint_version_published":
      return `${who} published version ${value(d.version)} of endpoint ${name}${d.default ? " as its default" : ""}`;
    case "endpoint_changed":
      return `${who} changed endpoint ${name}: ${changeList(d.changes)}`;
    case "endpoint_deleted":
      return `${who} deleted endpoint ${name}`;
    case "key_created":
      return `${who} created key “${name}” for ${endpointOf(d)}`;
    case "key_revoked":
      return `${who} revoked key “${name}” for ${endpointOf(d)}`;
    case "schedule_created":
      return `${who} scheduled ${endpointOf(d)} at ${name}`;
    case "schedule_changed":
      return `${who} changed the schedule of ${endpointOf(d)}: ${changeList(d.changes)}`;
    case "schedule_deleted":
      return `${who} deleted the schedule ${name} of ${endpointOf(d)}`;
    case "graph_deleted":
      return `${who} deleted pipeline “${name}”${d.runs ? ` with its ${plural(d.runs, "run")}` : ""}`;
    case "dataset_deleted":
      return `${who} deleted dataset “${name}” (${plural(d.versions, "version")})`;
    case "dataset_archived":
      return `${who} archived dataset “${name}”`;
  }
}
