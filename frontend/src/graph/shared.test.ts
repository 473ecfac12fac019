import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { emptyDocument, type GraphDocument } from "./document";
import { applyOperations, deleteOperations, type Operation } from "./operations";
import { DocumentReader, sharedRoots, sharedText, type TextParams } from "./shared";
import { GraphStore } from "./store";

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One random operation that fits the document. */
function randomOperation(doc: GraphDocument, next: () => number, count: number): Operation[] {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const node = doc.nodes.length > 0 ? pick(doc.nodes) : null;
  const kind = pick(["add", "add", "move", "param", "unparam", "label", "limits", "wire", "delete", "comment", "edit-comment", "parameter", "drop-parameter", "code", "code"]);
  if (kind === "add" || !node) {
    const module = pick(["m@1", SCRIPT]);
    return [{ type: "add_node", node: { id: `n${count}`, module, params: module === SCRIPT ? { seed: count, code: "x = 1" } : { seed: count }, position: { x: count, y: 2 * count } } }];
  }
  switch (kind) {
    case "code": {
      const code = Array.from(String(node.params.code ?? "")); // by code point, as typing goes
      const at = Math.floor(next() * (code.length + 1));
      const value = [...code.slice(0, at), pick(["y", "😀", "\n", ""]), ...code.slice(at + pick([0, 1, 2]))].join("");
      return [{ type: "set_param", node: node.id, name: "code", value }];
    }
    case "move":
      return [{ type: "move_node", id: node.id, position: { x: Math.round(next() * 900), y: -count } }];
    case "param":
      return [{ type: "set_param", node: node.id, name: pick(["a", "b"]), value: pick([1, 2.5, "x", true, null, ["c1", "c2"]]) }];
    case "unparam":
      return [{ type: "set_param", node: node.id, name: "a", value: undefined }];
    case "label":
      return [{ type: "set_label", node: node.id, label: pick(["", "Label"]) }];
    case "limits":
      return [{ type: "set_execution", node: node.id, execution: pick([undefined, { timeout: 60 }, { retries: 2 }, { timeout: 1.5, retries: 0 }]) }];
    case "wire":
      return [{ type: "add_edge", edge: { id: `e${count}`, source: { node: node.id, port: "out" }, target: { node: pick(doc.nodes).id, port: "in" } } }];
    case "delete":
      return deleteOperations(doc, { nodes: [node.id] });
    case "comment":
      return [{ type: "add_comment", comment: { id: `c${count}`, text: "note", position: { x: 0, y: count }, width: 200 } }];
    case "edit-comment":
      return doc.comments.length > 0 ? [{ type: "update_comment", id: pick(doc.comments).id, changes: { text: `t${count}`, height: 90 } }] : [];
    case "parameter":
      return [{ type: "set_parameter", name: pick(["rate", "depth"]), parameter: { type: "float", default: next(), description: "" } }];
    default:
      return [{ type: "set_parameter", name: "rate", parameter: undefined }];
  }
}

const SCRIPT = "script@1";
const textParams: TextParams = (module) => new Set(module === SCRIPT ? ["code"] : []);

describe("the shared (Y) document", () => {
  it("holds what the operations make, whatever their sequence", () => {
    for (let seed = 1; seed <= 20; seed += 1) {
      const next = rng(seed);
      const store = new GraphStore(new Y.Doc(), textParams);
      let expected = emptyDocument();
      for (let i = 0; i < 60; i += 1) {
        const ops = randomOperation(expected, next, i);
        if (ops.length === 0) continue;
        expected = applyOperations(expected, ops).doc;
        store.dispatch(ops);
        expect(store.document).toEqual(expected);
      }
      // A fresh reader of the encoded state gives the same document (what another browser holds).
      const copy = new Y.Doc();
      Y.applyUpdate(copy, Y.encodeStateAsUpdate(store.ydoc));
      expect(new DocumentReader().read(copy)).toEqual(expected);
    }
  });

  it("keeps the objects of entries that did not change", () => {
    const store = new GraphStore();
    store.dispatch([
      { type: "add_node", node: { id: "a", module: "m@1", params: {}, position: { x: 0, y: 0 } } },
      { type: "add_node", node: { id: "b", module: "m@1", params: {}, position: { x: 0, y: 0 } } },
    ]);
    const before = store.document;
    store.dispatch([{ type: "set_param", node: "b", name: "k", value: 1 }]);
    expect(store.document.nodes[0]).toBe(before.nodes[0]);
    expect(store.document.nodes[1]).not.toBe(before.nodes[1]);
  });

  it("leaves out a wire whose node someone else deleted meanwhile", () => {
    const a = new GraphStore();
    a.dispatch([
      { type: "add_node", node: { id: "x", module: "m@1", params: {}, position: { x: 0, y: 0 } } },
      { type: "add_node", node: { id: "y", module: "m@1", params: {}, position: { x: 0, y: 0 } } },
    ]);
    const b = new GraphStore();
    Y.applyUpdate(b.ydoc, Y.encodeStateAsUpdate(a.ydoc));
    a.dispatch([{ type: "remove_node", id: "y" }]);
    b.dispatch([{ type: "add_edge", edge: { id: "e", source: { node: "x", port: "o" }, target: { node: "y", port: "i" } } }]);
    Y.applyUpdate(a.ydoc, Y.encodeStateAsUpdate(b.ydoc));
    Y.applyUpdate(b.ydoc, Y.encodeStateAsUpdate(a.ydoc));
    expect(a.document).toEqual(b.document);
    expect(a.document.edges).toEqual([]);
    expect(sharedRoots(a.ydoc).edges.size).toBe(1); // kept in the Y document, shown once y is back
  });

  it("makes code params and comment text shared text, read as strings", () => {
    const store = new GraphStore(new Y.Doc(), textParams);
    store.dispatch([
      { type: "add_node", node: { id: "s", module: SCRIPT, params: { code: "x = 1", seed: 3 }, position: { x: 0, y: 0 } } },
      { type: "add_comment", comment: { id: "c", text: "note", position: { x: 0, y: 0 } } },
    ]);
    const params = sharedRoots(store.ydoc).nodes.get("s")?.get("params") as Y.Map<unknown>;
    expect(params.get("code")).toBeInstanceOf(Y.Text);
    expect(params.get("seed")).toBe(3);
    expect(sharedText(store.ydoc, { comment: "c" })?.toString()).toBe("note");
    expect(store.document.nodes[0].params).toEqual({ code: "x = 1", seed: 3 });
    expect(store.document.comments[0].text).toBe("note");
  });

  it("keeps both people's typing in one script and one note", () => {
    const a = new GraphStore(new Y.Doc(), textParams);
    a.dispatch([
      { type: "add_node", node: { id: "s", module: SCRIPT, params: { code: "def f():\n    return 1\n" }, position: { x: 0, y: 0 } } },
      { type: "add_comment", comment: { id: "c", text: "todo", position: { x: 0, y: 0 } } },
    ]);
    const b = new GraphStore(new Y.Doc(), textParams);
    Y.applyUpdate(b.ydoc, Y.encodeStateAsUpdate(a.ydoc));
    // Both edit at once, each from the text as they saw it: a by whole-value operations (an
    // inspector edit), b by typing into the Y.Text (the code editor, the note's textarea).
    a.dispatch([{ type: "set_param", node: "s", name: "code", value: "def f():\n    return 2\n" }]);
    a.dispatch([{ type: "update_comment", id: "c", changes: { text: "todo: a" } }]);
    sharedText(b.ydoc, { node: "s", param: "code" })?.insert(0, "# b\n");
    b.editText(sharedText(b.ydoc, { comment: "c" }) as Y.Text, "b's todo", "note");
    Y.applyUpdate(a.ydoc, Y.encodeStateAsUpdate(b.ydoc));
    Y.applyUpdate(b.ydoc, Y.encodeStateAsUpdate(a.ydoc));
    expect(a.document).toEqual(b.document);
    expect(a.document.nodes[0].params.code).toBe("# b\ndef f():\n    return 2\n");
    expect(a.document.comments[0].text).toBe("b's todo: a");
  });

  it("keeps both first keystrokes typed at once into an empty code param", () => {
    const a = new GraphStore(new Y.Doc(), textParams);
    a.dispatch([{ type: "add_node", node: { id: "s", module: SCRIPT, params: {}, position: { x: 0, y: 0 } } }]);
    const b = new GraphStore(new Y.Doc(), textParams);
    Y.applyUpdate(b.ydoc, Y.encodeStateAsUpdate(a.ydoc));
    // Neither has seen the other's first keystroke: each makes the param's text.
    a.dispatch([{ type: "set_param", node: "s", name: "code", value: "a" }]);
    b.dispatch([{ type: "set_param", node: "s", name: "code", value: "b" }]);
    sharedText(b.ydoc, { node: "s", param: "code" })?.insert(1, "c"); // b goes on typing
    for (let round = 0; round < 2; round += 1) {
      Y.applyUpdate(a.ydoc, Y.encodeStateAsUpdate(b.ydoc));
      Y.applyUpdate(b.ydoc, Y.encodeStateAsUpdate(a.ydoc));
    }
    expect(a.document).toEqual(b.document);
    expect(["abc", "bca"]).toContain(a.document.nodes[0].params.code);
  });

  it("undoes my typing only", () => {
    const a = new GraphStore(new Y.Doc(), textParams);
    a.dispatch([{ type: "add_comment", comment: { id: "c", text: "note", position: { x: 0, y: 0 } } }]);
    const b = new GraphStore(new Y.Doc(), textParams);
    Y.applyUpdate(b.ydoc, Y.encodeStateAsUpdate(a.ydoc));
    const mine = sharedText(a.ydoc, { comment: "c" }) as Y.Text;
    a.editText(mine, "note!", "note");
    b.editText(sharedText(b.ydoc, { comment: "c" }) as Y.Text, "a note", "note");
    Y.applyUpdate(a.ydoc, Y.encodeStateAsUpdate(b.ydoc));
    expect(a.document.comments[0].text).toBe("a note!");
    a.undo();
    expect(a.document.comments[0].text).toBe("a note");
  });
});
