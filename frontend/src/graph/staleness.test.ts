import { describe, expect, it } from "vitest";
import type { GraphDocument } from "./document";
import { applyOperations, type Operation } from "./operations";
import { outOfDate, sameJson } from "./staleness";

const at = { x: 0, y: 0 };
const ran: GraphDocument = {
  schema_version: 1,
  parameters: {},
  nodes: [
    { id: "data", module: "data.sample_dataset@1", params: { name: "iris", columns: ["a", "b"] }, position: at },
    { id: "split", module: "transform.split_rows@1", params: { fraction: 0.2 }, position: at },
    { id: "train", module: "ml.train_model@1", params: { label: "target" }, position: at },
    { id: "score", module: "ml.score_model@1", params: {}, position: at },
    { id: "other", module: "data.sample_dataset@1", params: { name: "wine" }, position: at },
  ],
  edges: [
    { id: "e1", source: { node: "data", port: "dataset" }, target: { node: "split", port: "dataset" } },
    { id: "e2", source: { node: "split", port: "train" }, target: { node: "train", port: "dataset" } },
    { id: "e3", source: { node: "train", port: "model" }, target: { node: "score", port: "model" } },
    { id: "e4", source: { node: "split", port: "test" }, target: { node: "score", port: "dataset" } },
  ],
  comments: [],
};
const after = (ops: Operation[]) => outOfDate(ran, applyOperations(ran, ops).doc);

describe("outOfDate", () => {
  it("ignores moves, labels, limits and a reordering of param keys", () => {
    const reordered = { ...ran, nodes: ran.nodes.map((n) => (n.id === "data" ? { ...n, params: { columns: ["a", "b"], name: "iris" } } : n)) };
    expect(outOfDate(ran, reordered).size).toBe(0);
    expect(
      after([
        { type: "move_node", id: "train", position: { x: 5, y: 5 } },
        { type: "set_label", node: "train", label: "Fit" },
        { type: "set_execution", node: "train", execution: { timeout: 30 } },
      ]).size,
    ).toBe(0);
  });

  it("marks an edited node and everything downstream of it", () => {
    const marks = after([{ type: "set_param", node: "split", name: "fraction", value: 0.3 }]);
    expect(Object.fromEntries(marks)).toEqual({ split: "edited", train: "upstream", score: "upstream" });
  });

  it("marks a node whose wires changed, even through a module added since", () => {
    const node = { id: "new", module: "transform.split_rows@1", params: {}, position: at };
    const marks = after([
      { type: "add_node", node },
      { type: "remove_edge", id: "e2" },
      { type: "add_edge", edge: { id: "e5", source: { node: "split", port: "train" }, target: { node: "new", port: "dataset" } } },
      { type: "add_edge", edge: { id: "e6", source: { node: "new", port: "train" }, target: { node: "train", port: "dataset" } } },
    ]);
    expect(Object.fromEntries(marks)).toEqual({ train: "edited", score: "upstream" });
  });

  it("keeps a wire that was removed and added back with a new id", () => {
    const marks = after([
      { type: "remove_edge", id: "e1" },
      { type: "add_edge", edge: { id: "e9", source: { node: "data", port: "dataset" }, target: { node: "split", port: "dataset" } } },
    ]);
    expect(marks.size).toBe(0);
  });
});

describe("sameJson", () => {
  it("compares values deeply", () => {
    expect(sameJson({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson("1", 1)).toBe(false);
  });
});
