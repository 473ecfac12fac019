import { describe, expect, it } from "vitest";
import { MODULES } from "../test/catalogue.fixture";
import { Catalogue } from "../graph/catalogue";
import type { GraphDocument } from "../graph/document";
import { columnIssues, upstreamColumns } from "./useColumns";
import { graphOf } from "../test/graph.fixture";

const catalogue = new Catalogue(MODULES);
const doc: GraphDocument = graphOf(
  {
    data: "data.sample_dataset@1",
    learner: "ml.logistic_regression@1",
    train: "ml.train_model@1",
  },
  ["data.dataset>train.dataset", "learner.model>train.model"],
);
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
