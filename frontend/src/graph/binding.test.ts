import { describe, expect, it } from "vitest";
import { bindableNames } from "./binding";
import type { PipelineParameter } from "./document";

const param = (type: PipelineParameter["type"], value: PipelineParameter["default"]): PipelineParameter => ({ type, default: value, description: "" });
const parameters = { rate: param("float", 0.1), folds: param("int", 5), fast: param("bool", true), target: param("string", "label") };

describe("bindableNames", () => {
  it("offers only the pipeline parameters whose values the module parameter takes", () => {
    expect(bindableNames(parameters, "float")).toEqual(["rate", "folds"]);
    expect(bindableNames(parameters, "int")).toEqual(["folds"]);
    expect(bindableNames(parameters, "bool")).toEqual(["fast"]);
    expect(bindableNames(parameters, "enum")).toEqual(["target"]);
    expect(bindableNames(parameters, "column")).toEqual(["target"]);
    expect(bindableNames(parameters, "columns")).toEqual([]);
    expect(bindableNames(parameters, "code")).toEqual([]);
  });
});
