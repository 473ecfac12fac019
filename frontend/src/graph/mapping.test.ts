import { describe, expect, it } from "vitest";
import type { Issue, StepState } from "../api/types";
import { MODULES } from "../test/catalogue.fixture";
import { Catalogue } from "./catalogue";
import { copySelection, pasteOperations } from "./clipboard";
import type { GraphDocument } from "./document";
import { fuzzyFilter } from "./fuzzy";
import {
  commentFlowId,
  connectionAttempt,
  finishedDrags,
  issuesByNode,
  moveOperations,
  NODE_WIDTH,
  toFlowEdges,
  toFlowNodes,
  type Decorations,
  type FlowNodeCache,
  type ModuleFlowNode,
} from "./mapping";
import { applyOperations } from "./operations";

const catalogue = new Catalogue(MODULES);
const doc: GraphDocument = {
  schema_version: 1,
  parameters: {},
  nodes: [
    { id: "n1", module: "data.sample_dataset@1", params: { name: "wine" }, position: { x: 10, y: 20 } },
    { id: "n2", module: "transform.split_rows@1", params: {}, position: { x: 10, y: 200 } },
    { id: "n3", module: "ml.train_model@1", params: {}, position: { x: 10, y: 400 } },
  ],
  edges: [
    { id: "e1", source: { node: "n1", port: "dataset" }, target: { node: "n2", port: "dataset" } },
    { id: "e2", source: { node: "n2", port: "train" }, target: { node: "n3", port: "dataset" } },
  ],
  comments: [{ id: "c1", text: "raw data", position: { x: -200, y: 0 } }],
};

const deco = (over: Partial<Decorations> = {}): Decorations => ({
  catalogue,
  issuesByNode: new Map(),
  steps: new Map(),
  diff: new Map(),
  selected: new Set(),
  presence: new Map(),
  readOnly: false,
  estimateSizes: false,
  ...over,
});

describe("document → React Flow", () => {
  it("maps nodes with their spec and comments with a prefixed id", () => {
    const nodes = toFlowNodes(doc, deco());
    expect(nodes.map((n) => n.id)).toEqual([commentFlowId("c1"), "n1", "n2", "n3"]);
    const n1 = nodes[1] as ModuleFlowNode;
    expect(n1.type).toBe("module");
    expect(n1.position).toEqual({ x: 10, y: 20 });
    expect(n1.data.spec?.display_name).toBe("Sample dataset");
    expect(n1.data.node.params).toEqual({ name: "wine" });
  });

  it("keeps unchanged nodes identical so memoized components skip them", () => {
    const cache: FlowNodeCache = new Map();
    const first = toFlowNodes(doc, deco(), cache);
    const moved = applyOperations(doc, [{ type: "move_node", id: "n2", position: { x: 99, y: 99 } }]).doc;
    const second = toFlowNodes(moved, deco(), cache);
    expect(second[1]).toBe(first[1]);
    expect(second[2]).not.toBe(first[2]);
    expect(second[2].position).toEqual({ x: 99, y: 99 });
    expect(second[3]).toBe(first[3]);
  });

  it("attaches issues and step state to their node", () => {
    const issue: Issue = { code: "missing_param", message: "Label is required", node: "n3", param: "label" };
    const step = { key: "n1", module: "data.sample_dataset@1", status: "running", attempts: 1 } as StepState;
    const stale = { key: "n2", module: "ml.score_model@1", status: "succeeded", attempts: 1 } as StepState;
    const nodes = toFlowNodes(doc, deco({ issuesByNode: issuesByNode([issue]), steps: new Map([["n1", step], ["n2", stale]]) }));
    const byId = new Map(nodes.map((n) => [n.id, n]));
    expect((byId.get("n3") as ModuleFlowNode).data.issues).toEqual([issue]);
    expect((byId.get("n1") as ModuleFlowNode).data.step).toBe(step);
    expect((byId.get("n2") as ModuleFlowNode).data.issues).toEqual([]);
    expect((byId.get("n2") as ModuleFlowNode).data.step).toBeUndefined(); // a run of another module under a reused id
  });

  it("maps edges to handles named after ports, typed by the source port", () => {
    const edges = toFlowEdges(doc, catalogue, new Set(["e2"]));
    expect(edges[0]).toMatchObject({ id: "e1", source: "n1", sourceHandle: "dataset", target: "n2", targetHandle: "dataset", data: { type: "DataFrame" } });
    expect(edges[1].selected).toBe(true);
    expect(edges[0].ariaLabel).toBe("Wire Sample dataset · dataset → Split rows · dataset"); // what a screen reader says on a focused wire
  });
});

it("estimates size and handle places for never-measured nodes of large graphs only", () => {
  const nodes = toFlowNodes(doc, deco({ estimateSizes: true }));
  const split = nodes.find((n) => n.id === "n2") as ModuleFlowNode;
  expect(split.measured?.width).toBe(NODE_WIDTH);
  expect(split.handles?.map((h) => [h.id, h.type, h.position])).toEqual([
    ["dataset", "target", "top"],
    ["train", "source", "bottom"],
    ["test", "source", "bottom"],
  ]);
  expect(split.handles?.[2].x).toBeGreaterThan(split.handles?.[1].x ?? Infinity);
  expect((toFlowNodes(doc, deco()).find((n) => n.id === "n2") as ModuleFlowNode).handles).toBeUndefined();
});

describe("React Flow → operations", () => {
  it("turns a connection into the ports it joins", () => {
    expect(connectionAttempt({ source: "n1", sourceHandle: "dataset", target: "n2", targetHandle: "dataset" })).toEqual({
      source: "n1", sourcePort: "dataset", target: "n2", targetPort: "dataset",
    });
    expect(connectionAttempt({ source: "n1", sourceHandle: null, target: "n2", targetHandle: "dataset" })).toBeNull();
  });

  it("records a move only when the drag ends, for nodes and comments", () => {
    const changes = [
      { type: "position" as const, id: "n1", position: { x: 5.4, y: 6.6 }, dragging: true },
      { type: "position" as const, id: "n2", position: { x: 50.2, y: 60.7 }, dragging: false },
      { type: "position" as const, id: commentFlowId("c1"), position: { x: 1, y: 2 }, dragging: false },
    ];
    const ops = moveOperations(doc, finishedDrags(changes));
    expect(ops).toEqual([
      { type: "move_node", id: "n2", position: { x: 50, y: 61 } },
      { type: "update_comment", id: "c1", changes: { position: { x: 1, y: 2 } } },
    ]);
  });
});

describe("copy and paste", () => {
  it("keeps only wires inside the selection and gives fresh ids", () => {
    const fragment = copySelection(doc, ["n1", "n2"]);
    expect(fragment.edges.map((e) => e.id)).toEqual(["e1"]);
    const { ops, nodeIds } = pasteOperations(doc, fragment, { x: 40, y: 40 });
    const pasted = applyOperations(doc, ops).doc;
    expect(pasted.nodes).toHaveLength(5);
    expect(pasted.edges).toHaveLength(3);
    const added = pasted.edges[2];
    expect(nodeIds).toContain(added.source.node);
    expect(nodeIds).toContain(added.target.node);
    const copyOfN1 = pasted.nodes.find((n) => n.id === nodeIds[0]);
    expect(copyOfN1?.position).toEqual({ x: 50, y: 60 });
    expect(copyOfN1?.params).toEqual({ name: "wine" });
  });
});

describe("palette search", () => {
  it("finds modules by fuzzy name, best match first", () => {
    const names = (q: string) => fuzzyFilter(MODULES, q, (m) => [m.display_name, m.category]).map((m) => m.display_name);
    expect(names("split")[0]).toBe("Split rows");
    expect(names("lgr")).toContain("Logistic regression");
    expect(names("evl mdl")[0]).toBe("Evaluate model");
    expect(names("zzz")).toEqual([]);
  });

  it("finds a module by words of its description, never by letters scattered through it", () => {
    const items = [
      { name: "Evaluate model", description: "Computes metrics of scored data: accuracy, log loss, ROC curves." },
      { name: "Clip values", description: "Replaces values above an upper or below a lower threshold." },
    ];
    const found = (q: string) => fuzzyFilter(items, q, (m) => [m.name], (m) => [m.description]).map((m) => m.name);
    expect(found("evaluate")).toEqual(["Evaluate model"]);
    expect(found("log loss")).toEqual(["Evaluate model"]);
    expect(found("threshold")).toEqual(["Clip values"]);
    expect(found("clip")).toEqual(["Clip values"]);
  });
});
