import { describe, expect, it } from "vitest";
import { readableReason, type RunRef } from "./reasons";

const at = "2026-03-04T10:00:00Z";
const runs = new Map<string, RunRef>([
  ["23", { id: 23, created_at: at, created_by: "alice", origin: null }],
  [
    "24",
    {
      id: 24,
      created_at: at,
      created_by: null,
      origin: { endpoint: 7, endpoint_name: "churn", caller: { kind: "key", name: "nightly (dse_ab…)" } },
    },
  ],
]);
const names = { labels: new Map(), runs };

describe("readableReason", () => {
  it("names who started the run a step was reused from: its user, or the endpoint its call came to", () => {
    expect(readableReason("reused: key abc123 from run 23", names)).toMatch(/^reused from run 23 \(.+, alice\)$/);
    expect(readableReason("reused: key abc123 from run 24", names)).toMatch(/^reused from run 24 \(.+, endpoint churn\)$/);
    expect(readableReason("reused: key abc123 from run 99", names)).toBe("reused from run 99");
  });
});
