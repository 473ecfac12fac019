import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { emptyDocument } from "./document";
import { deleteOperations, OperationError } from "./operations";
import { GraphStore } from "./store";

const node = (id: string, x = 0) => ({ id, module: "data.sample_dataset@1", params: {}, position: { x, y: 0 } });

function seeded(): GraphStore {
  const store = new GraphStore();
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
    const store = new GraphStore();
    store.dispatch([{ type: "add_node", node: node("a") }]);
    for (const value of ["w", "wi", "win", "wine"]) {
      store.dispatch([{ type: "set_param", node: "a", name: "name", value }], { coalesce: "a.name" });
    }
    expect(store.document.nodes[0].params.name).toBe("wine");
    store.undo();
    expect(store.document.nodes[0].params).toEqual({});
    expect(store.document.nodes).toHaveLength(1);
    store.redo();
    expect(store.document.nodes[0].params.name).toBe("wine");
  });

  it("undoes comment edits and pipeline parameters", () => {
    const store = new GraphStore();
    store.dispatch([{ type: "add_comment", comment: { id: "c1", text: "hello", position: { x: 0, y: 0 } } }]);
    store.dispatch([{ type: "update_comment", id: "c1", changes: { text: "bye" } }]);
    store.dispatch([{ type: "set_parameter", name: "seed", parameter: { type: "int", default: 1, description: "" } }]);
    store.undo();
    expect(store.document.parameters).toEqual({});
    store.undo();
    expect(store.document.comments[0].text).toBe("hello");
  });

  it("notifies subscribers of every change", () => {
    const store = seeded();
    let calls = 0;
    const off = store.subscribe(() => (calls += 1));
    store.undo();
    store.dispatch([{ type: "move_node", id: "a", position: { x: 9, y: 9 } }]);
    off();
    store.undo();
    expect(calls).toBe(2);
    expect(store.document).toBe(store.getSnapshot());
  });
});

/** Two editors whose documents exchange every update, as the server relays them. */
function pair(): [GraphStore, GraphStore] {
  const a = new GraphStore(new Y.Doc());
  const b = new GraphStore(new Y.Doc());
  for (const [from, to] of [[a, b], [b, a]] as const) {
    from.ydoc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== "remote") Y.applyUpdate(to.ydoc, update, "remote");
    });
  }
  return [a, b];
}

describe("personal undo", () => {
  it("undo takes back my own edits only; others' stay", () => {
    const [a, b] = pair();
    a.dispatch([{ type: "add_node", node: node("a") }]);
    b.dispatch([{ type: "add_node", node: node("b", 300) }]);
    a.dispatch([{ type: "move_node", id: "a", position: { x: 10, y: 10 } }]);
    b.dispatch([{ type: "move_node", id: "b", position: { x: 400, y: 40 } }]);
    b.dispatch([{ type: "set_param", node: "a", name: "name", value: "wine" }]);

    expect(a.undo()).toBe(true); // a's move of "a", not b's later edits
    const at = (store: GraphStore, id: string) => store.document.nodes.find((n) => n.id === id);
    expect(at(a, "a")?.position).toEqual({ x: 0, y: 0 });
    expect(at(a, "a")?.params).toEqual({ name: "wine" });
    expect(at(a, "b")?.position).toEqual({ x: 400, y: 40 });
    expect(b.document).toEqual(a.document);

    expect(a.undo()).toBe(true); // a's add of "a"
    expect(a.document.nodes.map((n) => n.id)).toEqual(["b"]);
    expect(a.canUndo).toBe(false); // b's edits are not a's to undo
    expect(b.canUndo).toBe(true);
    a.redo();
    a.redo();
    expect(at(b, "a")?.position).toEqual({ x: 10, y: 10 });
  });

  it("remote edits notify but never enter my undo history", () => {
    const [a, b] = pair();
    let calls = 0;
    a.subscribe(() => (calls += 1));
    b.dispatch([{ type: "add_node", node: node("x") }]);
    expect(calls).toBe(1);
    expect(a.document.nodes.map((n) => n.id)).toEqual(["x"]);
    expect(a.canUndo).toBe(false);
    expect(a.undo()).toBe(false);
  });
});
