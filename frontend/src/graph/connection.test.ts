import { describe, expect, it } from "vitest";
import { MODULES } from "../test/catalogue.fixture";
import { Catalogue } from "./catalogue";
import { checkConnection } from "./connection";
import type { GraphDocument } from "./document";
import { graphOf } from "../test/graph.fixture";

const catalogue = new Catalogue(MODULES);
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

describe("checkConnection", () => {
  it("accepts an output into an input of the same type", () => {
    expect(checkConnection(doc, catalogue, { source: "split", sourcePort: "train", target: "train", targetPort: "dataset" })).toEqual({ ok: true });
  });

  it("refuses a wire between different types and names both types", () => {
    const check = checkConnection(doc, catalogue, { source: "data", sourcePort: "dataset", target: "train", targetPort: "model" });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(/DataFrame.*Model/);
  });

  it("lets Any connect to anything", () => {
    expect(checkConnection(doc, catalogue, { source: "learner", sourcePort: "model", target: "script", targetPort: "dataset1" }).ok).toBe(true);
  });

  it("allows one wire per input", () => {
    const check = checkConnection(doc, catalogue, { source: "script", sourcePort: "result1", target: "split", targetPort: "dataset" });
    expect(check).toEqual({ ok: false, reason: expect.stringMatching(/already has a wire/) });
  });

  it("refuses self-loops and cycles", () => {
    expect(checkConnection(doc, catalogue, { source: "split", sourcePort: "train", target: "split", targetPort: "dataset" }).ok).toBe(false);
    const cyclic: GraphDocument = {
      ...doc,
      edges: [...doc.edges, { id: "e2", source: { node: "split", port: "train" }, target: { node: "script", port: "dataset1" } }],
    };
    const check = checkConnection(cyclic, catalogue, { source: "script", sourcePort: "result1", target: "script", targetPort: "dataset2" });
    expect(check.ok).toBe(false);
    const loop = checkConnection({ ...cyclic, edges: cyclic.edges.filter((e) => e.id !== "e1") }, catalogue, {
      source: "script", sourcePort: "result1", target: "split", targetPort: "dataset",
    });
    expect(loop).toEqual({ ok: false, reason: "This wire would make a cycle." });
  });

  it("refuses ports the module does not have", () => {
    expect(checkConnection(doc, catalogue, { source: "data", sourcePort: "nope", target: "train", targetPort: "dataset" }).ok).toBe(false);
  });
});
