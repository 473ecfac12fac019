import { describe, expect, it } from "vitest";
import { tokenize } from "./highlight";

const kinds = (code: string, lang: string) => tokenize(code, lang).filter((t) => t.kind !== "plain").map((t) => [t.kind, t.text]);

describe("code highlighting", () => {
  it("marks Python keywords, strings, numbers and comments, and keeps every character", () => {
    const code = 'def run(df):  # go\n    return df.head(5), "ok"\n';
    expect(kinds(code, "python")).toEqual([
      ["keyword", "def"],
      ["comment", "# go"],
      ["keyword", "return"],
      ["number", "5"],
      ["string", '"ok"'],
    ]);
    expect(tokenize(code, "python").map((t) => t.text).join("")).toBe(code);
  });

  it("marks SQL keywords case-insensitively", () => {
    expect(kinds("SELECT a FROM t1 -- all\nwhere b = 'x'", "sql")).toEqual([
      ["keyword", "SELECT"],
      ["keyword", "FROM"],
      ["comment", "-- all"],
      ["keyword", "where"],
      ["string", "'x'"],
    ]);
  });
});
