import { describe, expect, it } from "vitest";
import { fieldIssueText, issueText, labelledIssue } from "./issueText";

const labels = new Map([["n1", "Select columns"]]);

describe("issueText", () => {
  it("drops the node prefix the API adds", () => {
    const issue = { code: "param_not_in_enum", message: "node `n1`: param `mode` must be one of include, exclude", node: "n1", param: "mode" };
    expect(issueText(issue)).toBe("param `mode` must be one of include, exclude");
    expect(labelledIssue(issue, labels)).toBe("Select columns: param `mode` must be one of include, exclude");
  });

  it("keeps messages that do not start with their node", () => {
    const graphLevel = { code: "cycle", message: "the graph has a cycle: n1 → n2 → n1" };
    expect(issueText(graphLevel)).toBe(graphLevel.message);
    expect(labelledIssue(graphLevel, labels)).toBe(graphLevel.message);
    const other = { code: "x", message: "node `n2`: something", node: "n1" };
    expect(issueText(other)).toBe("node `n2`: something");
  });

  it("names an unknown node by its id", () => {
    expect(labelledIssue({ code: "x", message: "node `n9`: gone", node: "n9" }, labels)).toBe("n9: gone");
  });
});

describe("fieldIssueText", () => {
  it("drops the param the field already names", () => {
    const issue = { code: "param_out_of_range", message: "node `n1`: param `fraction` must be at most 1, got 1.5", node: "n1", param: "fraction" };
    expect(fieldIssueText(issue)).toBe("Must be at most 1, got 1.5");
    expect(fieldIssueText({ code: "param_required", message: "param `name` is required", param: "name" })).toBe("Required");
  });

  it("keeps a message about something else", () => {
    const issue = { code: "column_missing", message: "node `n1`: column 'x' is not in the input", node: "n1", param: "label" };
    expect(fieldIssueText(issue)).toBe("column 'x' is not in the input");
  });
});
