import { describe, expect, it } from "vitest";
import { diffLines, diffView, type ServerDiff } from "./diff";

const diff: ServerDiff = {
  from: "1",
  to: "draft",
  nodes: {
    added: [],
    removed: [{ id: "ev", module: "ml.evaluate_model@1", params: {}, position: { x: 0, y: 0 } }],
    changed: [
      { id: "lr", params: { added: {}, removed: {}, changed: { C: { from: 1, to: 0.5 } } } },
      { id: "tr", moved: { from: { x: 0, y: 0 }, to: { x: 5, y: 0 } } },
    ],
  },
  edges: { added: [], removed: [{ id: "e1", source: { node: "sc", port: "dataset" }, target: { node: "ev", port: "scored" } }] },
  parameters: { added: {}, removed: {}, changed: {} },
  comments: { added: [], removed: [], changed: [] },
};
const labels = new Map([["lr", "Logistic regression"], ["tr", "Train model"], ["sc", "Score model"]]);
const modules = (ref: string) => (ref === "ml.evaluate_model@1" ? "Evaluate model" : undefined);

describe("version diff", () => {
  it("names what changed per node by label, param old → new, and leaves pure moves out", () => {
    expect(diffLines(diff, labels, modules)).toEqual([
      "removed Evaluate model (ml.evaluate_model@1)",
      "Logistic regression: param C 1 → 0.5",
      "unwired Score model.dataset → Evaluate model.scored",
    ]);
    expect(diffLines(diff, labels, modules, true)).toContain("Train model: moved");
  });

  it("marks a moved node only when moves are asked for", () => {
    const doc = { schema_version: 1 as const, parameters: {}, nodes: [], edges: [], comments: [] };
    expect(diffView(doc, diff).marks.has("tr")).toBe(false);
    expect(diffView(doc, diff, true).marks.get("tr")).toBe("changed");
  });
});
