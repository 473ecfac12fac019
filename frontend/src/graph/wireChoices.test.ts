import { describe, expect, it } from "vitest";
import { MODULES } from "../test/catalogue.fixture";
import { Catalogue } from "./catalogue";
import type { GraphDocument } from "./document";
import { applyOperations } from "./operations";
import { edgeChoices, filterChoices, moduleNames, paletteChoices, wireChoices, wireOperations, wireView, type WireChoice } from "./wireChoices";
import { graphOf } from "../test/graph.fixture";

const catalogue = new Catalogue(MODULES);
const at = { x: 0, y: 0 };
const doc: GraphDocument = graphOf(
  {
    data: "data.sample_dataset@1",
    split: "transform.split_rows@1",
    learner: "ml.logistic_regression@1",
    train: "ml.train_model@1",
    script: "script.python@1",
  },
  ["data.dataset>split.dataset"],
);

/** The choices as "group: label" lines, a refused one with " ✗ reason". */
const wires = (d: GraphDocument) => d.edges.map((e) => `${e.source.node}.${e.source.port}>${e.target.node}.${e.target.port}`).sort();
const shown = (choices: WireChoice[]) => choices.map((c) => `${c.group}: ${c.label}${c.refused ? ` ✗ ${c.refused}` : ""}`);

describe("wireChoices", () => {
  it("offers each output the other modules' inputs of its type, each input their outputs, then its wires to remove", () => {
    expect(shown(wireChoices(doc, catalogue, "split"))).toEqual([
      "Connect output “train” (DataFrame) to: Train model · dataset",
      "Connect output “train” (DataFrame) to: Python script · dataset1",
      "Connect output “train” (DataFrame) to: Python script · dataset2",
      "Connect output “test” (DataFrame) to: Train model · dataset",
      "Connect output “test” (DataFrame) to: Python script · dataset1",
      "Connect output “test” (DataFrame) to: Python script · dataset2",
      // Its input has a wire: other outputs that fit are shown, refused with the drag's reason.
      "Connect input “dataset” (DataFrame) from: Python script · result1 ✗ Input “dataset” already has a wire; an input takes one wire. Delete it first.",
      "Connect input “dataset” (DataFrame) from: Python script · result2 ✗ Input “dataset” already has a wire; an input takes one wire. Delete it first.",
      "Disconnect: Sample dataset · dataset → Split rows · dataset",
    ]);
  });

  it("leaves out ports of another type, the module itself and the wire already drawn", () => {
    const labels = wireChoices(doc, catalogue, "data").map((c) => c.label);
    expect(labels).not.toContain("Train model · model"); // a Model input: no DataFrame goes there
    expect(labels).not.toContain("Split rows · dataset"); // already wired: listed to disconnect instead
    expect(labels).toContain("Sample dataset · dataset → Split rows · dataset");
    const own = wireChoices(doc, catalogue, "script").map((c) => c.label);
    expect(own.some((l) => l.startsWith("Python script"))).toBe(false); // a module never feeds itself
  });

  it("shows a wire that would make a cycle as refused, after those offered", () => {
    const chain: GraphDocument = {
      ...doc,
      nodes: [
        { id: "a", module: "script.python@1", params: {}, position: at },
        { id: "b", module: "script.python@1", params: {}, position: at },
        { id: "c", module: "script.python@1", params: {}, position: at },
      ],
      edges: [{ id: "e1", source: { node: "a", port: "result1" }, target: { node: "b", port: "dataset1" } }],
    };
    const out = wireChoices(chain, catalogue, "b").filter((c) => c.group === "Connect output “result1” (Any) to");
    expect(shown(out)).toEqual([
      "Connect output “result1” (Any) to: Python script (c) · dataset1",
      "Connect output “result1” (Any) to: Python script (c) · dataset2",
      "Connect output “result1” (Any) to: Python script (a) · dataset1 ✗ This wire would make a cycle.",
      "Connect output “result1” (Any) to: Python script (a) · dataset2 ✗ This wire would make a cycle.",
    ]);
  });

  it("offers nothing for a module the catalogue does not know", () => {
    const unknown = { ...doc, nodes: [...doc.nodes, { id: "odd", module: "gone.module@1", params: {}, position: at }] };
    expect(wireChoices(unknown, catalogue, "odd")).toEqual([]);
    expect(wireChoices(unknown, catalogue, "split").some((c) => c.label.includes("odd"))).toBe(false);
  });
});

describe("moduleNames", () => {
  it("uses a module's label, else its module's name, and adds the id when two read the same", () => {
    const named = { ...doc, nodes: [...doc.nodes.slice(0, 2), { id: "s2", module: "transform.split_rows@1", params: {}, position: at }, { id: "t", module: "ml.train_model@1", label: "Fit", params: {}, position: at }] };
    expect([...moduleNames(named, catalogue).values()]).toEqual(["Sample dataset", "Split rows (split)", "Split rows (s2)", "Fit"]);
  });
});

describe("filterChoices", () => {
  const all = wireChoices(doc, catalogue, "split");

  it("keeps the choices holding every typed word in their other end or what they do, in their order", () => {
    expect(filterChoices(all, "Train mod").map((c) => c.key)).toEqual(["connect|split.train>train.dataset", "connect|split.test>train.dataset"]);
    expect(filterChoices(all, "test script").map((c) => c.key)).toEqual(["connect|split.test>script.dataset1", "connect|split.test>script.dataset2"]);
    expect(filterChoices(all, "from script").map((c) => c.key)).toEqual(["connect|script.result1>split.dataset", "connect|script.result2>split.dataset"]);
    expect(filterChoices(all, "disconnect").map((c) => c.label)).toEqual(["Sample dataset · dataset → Split rows · dataset"]);
    expect(filterChoices(all, "")).toEqual(all);
    expect(filterChoices(all, "model script")).toEqual([]);
  });
});

describe("wireOperations", () => {
  const offered = wireChoices(doc, catalogue, "split")[0];

  it("draws an offered wire as the one add_edge a drag makes", () => {
    const result = wireOperations(doc, catalogue, offered.action);
    expect(result).toEqual({ ok: true, ops: [{ type: "add_edge", edge: { id: expect.stringMatching(/^e\d+_/), source: { node: "split", port: "train" }, target: { node: "train", port: "dataset" } } }] });
    if (result.ok) expect(applyOperations(doc, result.ops).doc.edges).toHaveLength(2);
  });

  it("checks again on the document as it is now", () => {
    const meanwhile: GraphDocument = { ...doc, edges: [...doc.edges, { id: "e9", source: { node: "script", port: "result1" }, target: { node: "train", port: "dataset" } }] };
    expect(wireOperations(meanwhile, catalogue, offered.action)).toEqual({ ok: false, reason: expect.stringMatching(/already has a wire/) });
  });

  it("removes a wire, unless it is gone", () => {
    const remove = wireChoices(doc, catalogue, "split").find((c) => c.action.kind === "disconnect");
    expect(remove && wireOperations(doc, catalogue, remove.action)).toEqual({ ok: true, ops: [{ type: "remove_edge", id: "e1" }] });
    expect(remove && wireOperations({ ...doc, edges: [] }, catalogue, remove.action)).toEqual({ ok: false, reason: "That wire is gone." });
  });
});

describe("a wire's choices", () => {
  const wired: GraphDocument = graphOf(
    {
      data: "data.sample_dataset@1",
      split: "transform.split_rows@1",
      train: "ml.train_model@1",
      score: "ml.score_model@1",
      loose: "transform.split_rows@1",
    },
    ["data.dataset>split.dataset", "split.train>train.dataset", "split.test>score.dataset", "train.model>score.model"],
  );

  it("moves its start to another output or its end to another input, puts a module into it, or removes it", () => {
    expect(shown(edgeChoices(wired, catalogue, "e2"))).toEqual([
      // Outputs that fit, on every module but the wire's end (a module never feeds itself); offered first.
      "Move its start (Split rows (split) · train) to: Sample dataset · dataset",
      "Move its start (Split rows (split) · train) to: Split rows (split) · test",
      "Move its start (Split rows (split) · train) to: Split rows (loose) · train",
      "Move its start (Split rows (split) · train) to: Split rows (loose) · test",
      "Move its start (Split rows (split) · train) to: Score model · dataset ✗ This wire would make a cycle.",
      // Inputs that fit: one with a wire already is refused, with the drag's reason.
      "Move its end (Train model · dataset) to: Split rows (loose) · dataset",
      "Move its end (Train model · dataset) to: Score model · dataset ✗ Input “dataset” already has a wire; an input takes one wire. Delete it first.",
      // A module without wires whose ports fit, then each catalogue module that would fit.
      "Put into it a module on the canvas: Split rows (loose)",
      "Put into it a new module: Split rows",
      "Put into it a new module: Score model",
      "Put into it a new module: Python script",
      "Disconnect: Split rows (split) · train → Train model · dataset",
    ]);
  });

  it("moves a wire as a drag of its end does: the same wire, one remove and one add, checked on the document as it is now", () => {
    const toLoose = edgeChoices(wired, catalogue, "e2").find((c) => c.label === "Split rows (loose) · dataset");
    if (!toLoose) throw new Error("no choice to move the end to loose");
    expect(toLoose.done).toBe("Moved the wire: Split rows (split) · train → Split rows (loose) · dataset.");
    const result = wireOperations(wired, catalogue, toLoose.action);
    if (!result.ok) throw new Error(result.reason);
    expect(result.ops).toEqual([
      { type: "remove_edge", id: "e2" },
      { type: "add_edge", edge: { id: "e2", source: { node: "split", port: "train" }, target: { node: "loose", port: "dataset" } } },
    ]);
    const meanwhile = graphOf({ ...Object.fromEntries(wired.nodes.map((n) => [n.id, n.module])) }, ["data.dataset>split.dataset", "split.train>train.dataset", "data.dataset>loose.dataset"]);
    expect(wireOperations(meanwhile, catalogue, toLoose.action)).toEqual({ ok: false, reason: expect.stringMatching(/already has a wire/) });
  });

  it("puts a module on the canvas, or a new one halfway between the wire's ends, into the wire", () => {
    const placed = { ...wired, nodes: wired.nodes.map((n) => (n.id === "split" ? { ...n, position: { x: 100, y: 0 } } : n.id === "train" ? { ...n, position: { x: 300, y: 200 } } : n)) };
    const choices = edgeChoices(placed, catalogue, "e2");
    const loose = choices.find((c) => c.action.kind === "insert");
    const script = choices.find((c) => c.label === "Python script");
    if (!loose || !script) throw new Error("missing choices");
    const inserted = wireOperations(placed, catalogue, loose.action);
    if (!inserted.ok) throw new Error(inserted.reason);
    expect(wires(applyOperations(placed, inserted.ops).doc)).toContain("loose.train>train.dataset");
    const added = wireOperations(placed, catalogue, script.action);
    if (!added.ok) throw new Error(added.reason);
    const node = added.ops[0].type === "add_node" ? added.ops[0].node : null;
    expect(node).toMatchObject({ module: "script.python@1", position: { x: 200, y: 100 }, params: { code: expect.any(String) } });
    const after = applyOperations(placed, added.ops).doc;
    expect(wires(after)).toEqual(expect.arrayContaining([`split.train>${node?.id}.dataset1`, `${node?.id}.result1>train.dataset`]));
    expect(wires(after)).not.toContain("split.train>train.dataset");
    expect(script.done).toBe("Put a new Python script into the wire Split rows (split) · train → Train model · dataset.");
    // A module that got wires meanwhile no longer goes in.
    const busy = { ...placed, edges: [...placed.edges, { id: "e9", source: { node: "data", port: "dataset" }, target: { node: "loose", port: "dataset" } }] };
    expect(wireOperations(busy, catalogue, loose.action)).toEqual({ ok: false, reason: expect.stringMatching(/already has wires/) });
  });

  it("offers a palette module the wires it fits into, and each subject its title", () => {
    expect(paletteChoices(wired, catalogue, "transform.split_rows@1").map((c) => c.label)).toEqual([
      "Sample dataset · dataset → Split rows (split) · dataset",
      "Split rows (split) · train → Train model · dataset",
      "Split rows (split) · test → Score model · dataset",
    ]); // not the Model wire: Split rows takes no model
    expect(paletteChoices(wired, catalogue, "ml.evaluate_model@1")).toEqual([]); // its Metrics fit no input
    expect(wireView(wired, catalogue, { kind: "palette", module: "ml.evaluate_model@1" })).toMatchObject({ title: "Put Evaluate model into a wire", choices: [], none: expect.stringMatching(/^No wire fits Evaluate model/) });
    expect(wireView(wired, catalogue, { kind: "edge", id: "e4" })?.title).toBe("Wire Train model · model → Score model · model");
    expect(wireView(wired, catalogue, { kind: "node", id: "score" })?.title).toBe("Wires of Score model");
    expect(wireView(wired, catalogue, { kind: "edge", id: "gone" })).toBeNull();
  });
});
