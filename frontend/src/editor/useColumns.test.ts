import { describe, expect, it } from "vitest";
import { MODULES } from "../test/catalogue.fixture";
import { Catalogue } from "../graph/catalogue";
import type { GraphDocument } from "../graph/document";
import { columnIssues, upstreamColumns } from "./useColumns";

const catalogue = new Catalogue(MODULES);
const at = { x: 0, y: 0 };
const doc: GraphDocument = {
  schema_version: 1,
  parameters: {},
  nodes: [
    { id: "data", module: "data.sample_dataset@1", params: {}, position: at },
    { id: "learner", module: "ml.logistic_regression@1", params: {}, position: at },
    { id: "train", module: "ml.train_model@1", params: {}, position: at },
  ],
  edges: [
    { id: "e1", source: { node: "data", port: "dataset" }, target: { node: "train", port: "dataset" } },
    { id: "e2", source: { node: "learner", port: "model" }, target: { node: "train", port: "model" } },
  ],
  comments: [],
};
const train = doc.nodes[2];

describe("upstreamColumns", () => {
  it("offers the table input's columns and ignores a model wired in", () => {
    const inferred = { data: { dataset: [{ name: "age", dtype: "int64" }, { name: "label", dtype: "int64" }] } };
    expect(upstreamColumns(doc, train, new Map(), inferred, catalogue)).toEqual({ columns: ["age", "label"], unknownFrom: null });
  });

  it("names the upstream table to run when its columns are not known", () => {
    expect(upstreamColumns(doc, train, new Map(), {}, catalogue)).toEqual({ columns: null, unknownFrom: "data" });
  });
});

describe("columnIssues", () => {
  const inferred = { data: { dataset: [{ name: "age", dtype: "int64" }, { name: "label", dtype: "int64" }] } };
  const withParams = (params: Record<string, unknown>): GraphDocument => ({
    ...doc,
    nodes: doc.nodes.map((n) => (n.id === "train" ? { ...n, params: params as GraphDocument["nodes"][number]["params"] } : n)),
  });

  it("names each column a param chooses that the input does not have", () => {
    const issues = columnIssues(withParams({ label: "lable", features: ["age", "height", "weight"] }), new Map(), inferred, catalogue);
    expect(issues).toEqual([
      { code: "unknown_column", message: "param `label`: “lable” is not a column of its input", node: "train", param: "label" },
      { code: "unknown_column", message: "param `features`: “height”, “weight” are not columns of its input", node: "train", param: "features" },
    ]);
  });

  it("says nothing of columns that exist, of a pipeline parameter, or while the input's columns are unknown", () => {
    expect(columnIssues(withParams({ label: "label", features: ["age"] }), new Map(), inferred, catalogue)).toEqual([]);
    expect(columnIssues(withParams({ label: "$target" }), new Map(), inferred, catalogue)).toEqual([]);
    expect(columnIssues(withParams({ label: "lable" }), new Map(), {}, catalogue)).toEqual([]);
  });
});
