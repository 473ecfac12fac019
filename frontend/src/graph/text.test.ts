import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { mapPosition, textEdit, writeText } from "./text";

describe("a text written as the smallest edit", () => {
  it("changes only the span that differs, never half a surrogate pair", () => {
    expect(textEdit("return 1", "return 2")).toEqual({ index: 7, remove: 1, insert: "2" });
    expect(textEdit("ab", "aXb")).toEqual({ index: 1, remove: 0, insert: "X" });
    expect(textEdit("aaa", "aa")).toEqual({ index: 2, remove: 1, insert: "" });
    expect(textEdit("😀", "😃")).toEqual({ index: 0, remove: 2, insert: "😃" }); // same high surrogate
    expect(textEdit("x😀", "x😀y")).toEqual({ index: 3, remove: 0, insert: "y" });
  });

  it("gives exactly the new text for any pair", () => {
    const doc = new Y.Doc();
    const text = doc.getText("t");
    const pieces = ["a", "b", "😀", "😃", "\n", ""];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 500; i += 1) {
      const value = Array.from({ length: Math.floor(next() * 8) }, () => pieces[Math.floor(next() * pieces.length)]).join("");
      writeText(text, value);
      expect(text.toString()).toBe(value);
    }
  });

  it("keeps what someone else typed elsewhere meanwhile", () => {
    const a = new Y.Doc();
    a.getText("t").insert(0, "select a from t");
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    writeText(a.getText("t"), "select a, b from t");
    b.getText("t").insert(15, " where a > 1");
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(a.getText("t").toString()).toBe("select a, b from t where a > 1");
    expect(b.getText("t").toString()).toBe(a.getText("t").toString());
  });
});

describe("a caret through someone else's edit", () => {
  const delta = (...ops: { insert?: string; delete?: number; retain?: number }[]) => ops;
  it("moves with text inserted or deleted before it, stays for text after it", () => {
    expect(mapPosition(5, delta({ insert: "abc" }))).toBe(8);
    expect(mapPosition(5, delta({ retain: 2 }, { delete: 2 }))).toBe(3);
    expect(mapPosition(5, delta({ retain: 4 }, { delete: 3 }))).toBe(4); // its character went
    expect(mapPosition(5, delta({ retain: 5 }, { insert: "x" }))).toBe(5); // typed right at it
    expect(mapPosition(5, delta({ retain: 7 }, { insert: "x" }))).toBe(5);
  });
});
