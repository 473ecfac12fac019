import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { writeText } from "../graph/text";
import { TextareaBinding } from "./textareaBinding";

describe("a textarea bound to a shared text", () => {
  const area = document.createElement("textarea");
  document.body.append(area);
  let binding: TextareaBinding | null = null;
  afterEach(() => binding?.destroy());

  function bound(initial: string): { text: Y.Text; remote: Y.Doc } {
    const doc = new Y.Doc();
    const text = doc.getText("note");
    text.insert(0, initial);
    const remote = new Y.Doc();
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc));
    binding = new TextareaBinding(area, text, (value) => doc.transact(() => writeText(text, value), "me"));
    return { text, remote };
  }

  function type(value: string, caret: number): void {
    area.value = value;
    area.setSelectionRange(caret, caret);
    area.dispatchEvent(new Event("input"));
  }

  it("writes what is typed as the smallest edit", () => {
    const { text, remote } = bound("hello world");
    expect(area.value).toBe("hello world");
    remote.getText("note").insert(11, "!"); // typed by someone else before ours arrives
    type("hello, world", 6);
    Y.applyUpdate(text.doc as Y.Doc, Y.encodeStateAsUpdate(remote));
    expect(text.toString()).toBe("hello, world!");
    expect(area.value).toBe("hello, world!");
  });

  it("keeps the caret and selection where they were when others type", () => {
    const { text, remote } = bound("abc def");
    area.setSelectionRange(4, 7); // "def" selected
    remote.getText("note").insert(0, ">> ");
    Y.applyUpdate(text.doc as Y.Doc, Y.encodeStateAsUpdate(remote));
    expect(area.value).toBe(">> abc def");
    expect([area.selectionStart, area.selectionEnd]).toEqual([7, 10]);
    expect(area.value.slice(area.selectionStart, area.selectionEnd)).toBe("def");
  });
});
