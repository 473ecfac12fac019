import { describe, expect, it } from "vitest";
import { MODULES } from "../test/catalogue.fixture";
import { Catalogue } from "./catalogue";
import type { GraphDocument } from "./document";
import { applyOperations } from "./operations";
import { GraphStore } from "./store";
import { insertIntoWire, reconnectWire } from "./wiring";
import { graphOf } from "../test/graph.fixture";

const catalogue = new Catalogue(MODULES);
const at = { x: 0, y: 0 };
const doc: GraphDocument = graphOf(
  {
    data: "data.sample_dataset@1",
    learner: "ml.logistic_regression@1",
    train: "ml.train_model@1",
    score: "ml.score_model@1",
    loose: "transform.split_rows@1",
  },
  ["data.dataset>train.dataset", "learner.model>train.model", "train.model>score.model"],
);
const wires = (d: GraphDocument) => d.edges.map((e) => `${e.source.node}.${e.source.port}>${e.target.node}.${e.target.port}`).sort();

describe("insertIntoWire", () => {
  it("splits the wire through the new module's matching ports", () => {
    const node = { id: "n9", module: "transform.split_rows@1", params: {}, position: at };
    const result = insertIntoWire(doc, catalogue, "e1", node);
    if (!result.ok) throw new Error(result.reason);
    const after = applyOperations(doc, [{ type: "add_node", node }, ...result.ops]).doc;
    expect(wires(after)).toEqual(["data.dataset>n9.dataset", "learner.model>train.model", "n9.train>train.dataset", "train.model>score.model"]);
  });

  it("takes a module on the canvas that has no wires", () => {
    const result = insertIntoWire(doc, catalogue, "e1", doc.nodes[4]);
    if (!result.ok) throw new Error(result.reason);
    expect(wires(applyOperations(doc, result.ops).doc)).toContain("loose.train>train.dataset");
  });

  it("prefers a port of the wire's own type to one that takes Any", () => {
    const any = { name: "anything", type: "Any" as const, description: "", optional: false };
    const table = { name: "table", type: "DataFrame" as const, description: "", optional: false };
    const mixed = { ...MODULES[0], ref: "t.mixed@1", display_name: "Mixed", inputs: [any, table], outputs: [any, table] };
    const result = insertIntoWire(doc, new Catalogue([...MODULES, mixed]), "e1", { id: "m", module: "t.mixed@1" });
    if (!result.ok) throw new Error(result.reason);
    expect(result.ops[1]).toMatchObject({ edge: { target: { node: "m", port: "table" } } });
    expect(result.ops[2]).toMatchObject({ edge: { source: { node: "m", port: "table" } } });
  });

  it("refuses a module without a compatible input or output, saying which", () => {
    const noInput = insertIntoWire(doc, catalogue, "e2", { id: "x", module: "transform.split_rows@1" });
    expect(noInput).toEqual({ ok: false, reason: "Cannot put Split rows into this wire: it has no input that takes Model." });
    const noOutput = insertIntoWire(doc, catalogue, "e1", { id: "x", module: "ml.evaluate_model@1" });
    expect(noOutput).toEqual({ ok: false, reason: "Cannot put Evaluate model into this wire: it has no output that “dataset” takes (DataFrame)." });
  });

  it("refuses a module that already has wires", () => {
    expect(insertIntoWire(doc, catalogue, "e1", doc.nodes[3]).ok).toBe(false);
  });

  it("is one undoable transaction in the store", () => {
    const store = new GraphStore();
    store.dispatch(doc.nodes.map((node) => ({ type: "add_node" as const, node })));
    store.dispatch(doc.edges.map((edge) => ({ type: "add_edge" as const, edge })));
    const before = store.document;
    const node = { id: "n9", module: "transform.split_rows@1", params: {}, position: at };
    const result = insertIntoWire(store.document, catalogue, "e1", node);
    if (!result.ok) throw new Error(result.reason);
    store.dispatch([{ type: "add_node", node }, ...result.ops]);
    expect(store.document.edges).toHaveLength(4);
    store.undo();
    expect(store.document).toEqual(before);
  });
});

describe("reconnectWire", () => {
  it("moves a wire's end to another port, keeping its id", () => {
    const result = reconnectWire(doc, catalogue, "e3", { source: "train", sourcePort: "model", target: "score", targetPort: "model" });
    expect(result).toEqual({ ok: true, ops: [] }); // dropped where it was
    const moved = reconnectWire(doc, catalogue, "e1", { source: "data", sourcePort: "dataset", target: "score", targetPort: "dataset" });
    if (!moved.ok) throw new Error(moved.reason);
    const after = applyOperations(doc, moved.ops).doc;
    expect(after.edges.find((e) => e.id === "e1")?.target).toEqual({ node: "score", port: "dataset" });
  });

  it("checks the new ends as if the wire were gone", () => {
    // The same input from another output: allowed although the input holds this very wire.
    const fromLoose = reconnectWire(doc, catalogue, "e1", { source: "loose", sourcePort: "test", target: "train", targetPort: "dataset" });
    expect(fromLoose.ok).toBe(true);
    const mismatch = reconnectWire(doc, catalogue, "e1", { source: "data", sourcePort: "dataset", target: "score", targetPort: "model" });
    expect(mismatch).toEqual({ ok: false, reason: expect.stringMatching(/Type mismatch/) });
    const taken = reconnectWire(doc, catalogue, "e1", { source: "data", sourcePort: "dataset", target: "train", targetPort: "model" });
    expect(taken.ok).toBe(false);
  });
});
