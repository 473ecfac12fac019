import { describe, expect, it } from "vitest";
import type { ActivityEntry } from "../api/types";
import { entryText } from "./entryText";

function entry(fields: Partial<ActivityEntry>): ActivityEntry {
  return {
    id: 1,
    created_at: "2026-12-05T10:00:00Z",
    actor: 2,
    actor_name: "alice",
    action: "workspace_renamed",
    target_kind: "workspace",
    target_id: 3,
    target_name: "",
    details: {},
    ...fields,
  };
}

describe("entryText", () => {
  it("says who changed whose role from what to what", () => {
    const changed = entry({ action: "member_role_changed", target_kind: "member", target_name: "bob", details: { from: "viewer", to: "editor" } });
    expect(entryText(changed)).toBe("alice changed bob's role from viewer to editor");
  });

  it("names a key and the endpoint it calls, or all of them, and never more", () => {
    const key = { action: "key_created", target_kind: "key", target_name: "prod" } as const;
    expect(entryText(entry({ ...key, actor_name: "carol", details: { endpoint: 4, endpoint_name: "Churn", rate_per_minute: 60 } }))).toBe(
      "carol created key “prod” for endpoint Churn",
    );
    expect(entryText(entry({ ...key, action: "key_revoked", details: { endpoint: null, endpoint_name: null } }))).toBe(
      "alice revoked key “prod” for all endpoints",
    );
  });

  it("lists an endpoint's changes, the enabled flag as words", () => {
    const changes = { enabled: { from: true, to: false }, default_version: { from: 1, to: 2 }, split: { from: null, to: { version: 3, percent: 10 } } };
    expect(entryText(entry({ action: "endpoint_changed", target_kind: "endpoint", target_name: "churn", details: { changes } }))).toBe(
      "alice changed endpoint churn: disabled it, default version 1 → 2, split none → v3 at 10%",
    );
  });

  it("lists the datasets an endpoint grants keys as names", () => {
    const changes = { key_datasets: { from: [], to: ["customers", "regions"] } };
    expect(entryText(entry({ action: "endpoint_changed", target_kind: "endpoint", target_name: "churn", details: { changes } }))).toBe(
      "alice changed endpoint churn: key datasets none → customers, regions",
    );
  });

  it("names a schedule's changed parameters without their values", () => {
    const changes = { cron: { from: "0 6 * * *", to: "0 7 * * *" }, parameters: {} };
    const text = entryText(entry({ action: "schedule_changed", target_kind: "schedule", target_name: "0 7 * * * (UTC)", details: { endpoint_name: "churn", changes } }));
    expect(text).toBe("alice changed the schedule of endpoint churn: cron 0 6 * * * → 0 7 * * *, parameters");
  });

  it("reads well after the target and the actor are gone", () => {
    const gone = entry({ action: "graph_deleted", target_kind: "graph", target_name: "scoring", actor: null, details: { runs: 1 } });
    expect(entryText(gone)).toBe("alice deleted pipeline “scoring” with its 1 run");
    expect(entryText({ ...gone, actor_name: "", details: { runs: 0 } })).toBe("Someone deleted pipeline “scoring”");
    expect(entryText(entry({ action: "dataset_deleted", target_kind: "dataset", target_name: "old", details: { versions: 2 } }))).toBe(
      "alice deleted dataset “old” (2 versions)",
    );
  });

  it("tells a rename and a new member in words", () => {
    expect(entryText(entry({ target_name: "B", details: { from: "A", to: "B" } }))).toBe("alice renamed the workspace from “A” to “B”");
    expect(entryText(entry({ action: "member_added", target_kind: "member", target_name: "bob", details: { role: "viewer" } }))).toBe("alice added bob as viewer");
  });

  it("tells an invitation sent, revoked and accepted", () => {
    const invitation = { target_kind: "invitation", target_name: "new@corp.com", details: { role: "editor" } } as const;
    expect(entryText(entry({ ...invitation, action: "invitation_sent" }))).toBe("alice invited new@corp.com as editor");
    expect(entryText(entry({ ...invitation, action: "invitation_revoked" }))).toBe("alice revoked the invitation of new@corp.com");
    const joined = entry({ action: "member_joined", actor_name: "newbie", target_kind: "member", target_name: "newbie", details: { role: "editor", invited_by: "alice" } });
    expect(entryText(joined)).toBe("newbie joined as editor, invited by alice");
    expect(entryText({ ...joined, details: { role: "viewer", invited_by: "" } })).toBe("newbie joined as viewer");
    expect(entryText({ ...joined, action: "member_left" })).toBe("newbie left the workspace (editor)");
  });
});
