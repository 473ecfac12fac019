import { describe, expect, it } from "vitest";
import { emptyDocument, type GraphDocument } from "./document";
import { deleteOperations, OperationError } from "./operations";
import { GraphStore } from "./store";

const node = (id: string, x = 0) => ({ id, module: "data.sample_dataset@1", params: {}, position: { x, y: 0 } });

function seeded(): GraphStore {
  const store = new GraphStore(emptyDocument());
  store.dispatch([{ type: "add_node", node: node("a") }, { type: "add_node", node: node("b", 300) }]);
  store.dispatch([{ type: "add_edge", edge: { id: "e1", source: { node: "a", port: "dataset" }, target: { node: "b", port: "dataset" } } }]);
  return store;
}

describe("GraphStore", () => {
  it("undoes and redoes transactions in order", () => {
    const store = seeded();
    const wired = store.document;
    store.dispatch([{ type: "move_node", id: "a", position: { x: 50, y: 60 } }]);
    expect(store.document.nodes[0].position).toEqual({ x: 50, y: 60 });
    store.undo();
    expect(store.document).toEqual(wired);
    store.undo();
    expect(store.document.edges).toHaveLength(0);
    store.undo();
    expect(store.document).toEqual(emptyDocument());
    expect(store.canUndo).toBe(false);
    store.redo();
    store.redo();
    expect(store.document).toEqual(wired);
    store.redo();
    expect(store.document.nodes[0].position).toEqual({ x: 50, y: 60 });
  });

  it("a new edit clears the redo stack", () => {
    const store = seeded();
    store.undo();
    expect(store.canRedo).toBe(true);
    store.dispatch([{ type: "set_param", node: "a", name: "name", value: "wine" }]);
    expect(store.canRedo).toBe(false);
  });

  it("deleting a node takes its wires, and one undo brings both back", () => {
    const store = seeded();
    const before = store.document;
    store.dispatch(deleteOperations(store.document, { nodes: ["a"] }));
    expect(store.document.nodes.map((n) => n.id)).toEqual(["b"]);
    expect(store.document.edges).toHaveLength(0);
    store.undo();
    expect(store.document.edges).toEqual(before.edges);
    expect(new Set(store.document.nodes.map((n) => n.id))).toEqual(new Set(["a", "b"]));
  });

  it("a failing transaction changes nothing", () => {
    const store = seeded();
    const before = store.document;
    const revision = store.revision;
    expect(() =>
      store.dispatch([{ type: "move_node", id: "a", position: { x: 1, y: 1 } }, { type: "remove_node", id: "missing" }]),
    ).toThrow(OperationError);
    expect(store.document).toBe(before);
    expect(store.revision).toBe(revision);
  });

  it("coalesces typing into one undo step, restoring the value before it", () => {
    let now = 0;
    const store = new GraphStore(emptyDocument(), { now: () => now });
    store.dispatch([{ type: "add_node", node: node("a") }]);
    for (const value of ["w", "wi", "win", "wine"]) {
      now += 100;
      store.dispatch([{ type: "set_param", node: "a", name: "name", value }], { coalesce: "a.name" });
    }
    expect(store.document.nodes[0].params.name).toBe("wine");
    store.undo();
    expect(store.document.nodes[0].params).toEqual({});
    expect(store.document.nodes).toHaveLength(1);
    now += 5000;
    store.redo();
    expect(store.document.nodes[0].params.name).toBe("wine");
  });

  it("undoes comment edits and pipeline parameters", () => {
    const store = new GraphStore(emptyDocument());
    store.dispatch([{ type: "add_comment", comment: { id: "c1", text: "hello", position: { x: 0, y: 0 } } }]);
    store.dispatch([{ type: "update_comment", id: "c1", changes: { text: "bye" } }]);
    store.dispatch([{ type: "set_parameter", name: "seed", parameter: { type: "int", default: 1 } }]);
    store.undo();
    expect(store.document.parameters).toEqual({});
    store.undo();
    expect(store.document.comments[0].text).toBe("hello");
  });

  it("notifies subscribers and reset clears history", () => {
    const store = seeded();
    let calls = 0;
    const off = store.subscribe(() => (calls += 1));
    store.undo();
    const doc: GraphDocument = { ...emptyDocument(), nodes: [node("z")] };
    store.reset(doc);
    off();
    store.dispatch([{ type: "remove_node", id: "z" }]);
    expect(calls).toBe(2);
    store.undo();
    expect(store.document).toBe(store.getSnapshot());
    expect(store.document.nodes.map((n) => n.id)).toEqual(["z"]);
    expect(store.canUndo).toBe(false);
  });
});
