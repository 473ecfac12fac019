import { act } from "react";
import { describe, expect, it, vi } from "vitest";
import { Catalogue } from "../graph/catalogue";
import type { GraphDocument } from "../graph/document";
import type { Operation } from "../graph/operations";
import type { WireSubject } from "../graph/wireChoices";
import { MODULES } from "../test/catalogue.fixture";
import { mountEach } from "../test/dom";
import { subjectToWire, WiresDialog } from "./WiresDialog";
import { graphOf } from "../test/graph.fixture";

const dom = mountEach();
const catalogue = new Catalogue(MODULES);
const doc: GraphDocument = graphOf(
  {
    data: "data.sample_dataset@1",
    split: "transform.split_rows@1",
    script: "script.python@1",
  },
  ["data.dataset>split.dataset"],
);

function type(input: HTMLInputElement, value: string) {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set?.call(input, value);
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

const press = (el: Element, key: string) => act(() => el.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true })));

function open(nodeId: string) {
  return openOn({ kind: "node", id: nodeId });
}

function openOn(subject: WireSubject) {
  const dispatch = vi.fn<(ops: Operation[]) => void>();
  const onClose = vi.fn<(focus?: string) => void>();
  act(() => dom.root.render(<WiresDialog subject={subject} doc={doc} catalogue={catalogue} dispatch={dispatch} onClose={onClose} />));
  const filter = document.querySelector('[data-testid="wires-filter"]') as HTMLInputElement;
  const active = () => document.getElementById(filter.getAttribute("aria-activedescendant") ?? "");
  return { dispatch, onClose, filter, active };
}

describe("WiresDialog", () => {
  it("focuses the filter, moves with the arrows and draws the active wire on Enter", () => {
    const { dispatch, onClose, filter, active } = open("split");
    expect(document.activeElement).toBe(filter);
    expect(document.querySelector('[role="dialog"]')?.getAttribute("aria-label")).toBe("Wires of Split rows");
    expect(active()?.textContent).toBe("Python script · dataset1");
    press(filter, "ArrowDown");
    expect(active()?.textContent).toBe("Python script · dataset2");
    expect(active()?.getAttribute("aria-selected")).toBe("true");
    press(filter, "Enter");
    expect(dispatch).toHaveBeenCalledWith([{ type: "add_edge", edge: { id: expect.any(String), source: { node: "split", port: "train" }, target: { node: "script", port: "dataset2" } } }]);
    expect(onClose).toHaveBeenCalled();
  });

  it("filters as one types and removes a wire chosen under Disconnect", () => {
    const { dispatch, filter } = open("split");
    act(() => type(filter, "disconnect"));
    expect([...document.querySelectorAll('[role="option"]')].map((o) => o.textContent)).toEqual(["Sample dataset · dataset → Split rows · dataset"]);
    press(filter, "Enter");
    expect(dispatch).toHaveBeenCalledWith([{ type: "remove_edge", id: "e1" }]);
  });

  it("shows a refused choice dimmed with its reason and does nothing on Enter", () => {
    const { dispatch, onClose, filter, active } = open("split");
    act(() => type(filter, "result1"));
    expect(active()?.getAttribute("aria-disabled")).toBe("true");
    expect(active()?.textContent).toContain("already has a wire");
    press(filter, "Enter");
    expect(dispatch).not.toHaveBeenCalled();
    expect(onClose).not.toHaveBeenCalled();
  });

  it("says so when nothing matches", () => {
    const { filter } = open("split");
    act(() => type(filter, "zzz"));
    expect(document.querySelector('[role="listbox"]')).toBeNull();
    expect(filter.getAttribute("aria-expanded")).toBe("false");
    expect(document.querySelector('[data-testid="wires-empty"]')?.textContent).toBe("Nothing matches “zzz”.");
  });
});

describe("WiresDialog on a wire", () => {
  it("moves the wire's end in one edit and gives focus back to the wire", () => {
    const { dispatch, onClose, filter, active } = openOn({ kind: "edge", id: "e1" });
    expect(document.querySelector('[role="dialog"]')?.getAttribute("aria-label")).toBe("Wire Sample dataset · dataset → Split rows · dataset");
    act(() => type(filter, "move end"));
    expect(active()?.textContent).toBe("Python script · dataset1");
    press(filter, "Enter");
    expect(dispatch).toHaveBeenCalledWith([
      { type: "remove_edge", id: "e1" },
      { type: "add_edge", edge: { id: "e1", source: { node: "data", port: "dataset" }, target: { node: "script", port: "dataset1" } } },
    ]);
    expect(onClose).toHaveBeenCalledWith(undefined); // the wire is still there, focus goes back to it
  });

  it("puts a new module into the wire and lands on it", () => {
    const { dispatch, onClose, filter } = openOn({ kind: "edge", id: "e1" });
    act(() => type(filter, "new python"));
    press(filter, "Enter");
    const ops = dispatch.mock.calls[0][0];
    expect(ops.map((op) => op.type)).toEqual(["add_node", "remove_edge", "add_edge", "add_edge"]);
    const added = ops[0].type === "add_node" ? ops[0].node.id : "";
    expect(onClose).toHaveBeenCalledWith(added);
  });

  it("from the palette, lists the wires a module fits into and says so when none does", () => {
    openOn({ kind: "palette", module: "ml.evaluate_model@1" });
    expect(document.querySelector('[data-testid="wires-empty"]')?.textContent).toMatch(/^No wire fits Evaluate model/);
    const { dispatch, onClose, filter } = openOn({ kind: "palette", module: "script.python@1" });
    expect([...document.querySelectorAll('[role="option"]')].map((o) => o.textContent)).toEqual(["Sample dataset · dataset → Split rows · dataset"]);
    press(filter, "Enter");
    expect(dispatch.mock.calls[0][0][0]).toMatchObject({ type: "add_node", node: { module: "script.python@1" } });
    expect(onClose).toHaveBeenCalledWith(undefined); // focus stays in the palette, as after adding with Enter
  });
});

describe("subjectToWire", () => {
  /** Canvas-like elements in the page: a palette item, a module and a wire, each focusable. */
  function page() {
    dom.container.innerHTML = `
      <div tabindex="0" role="button" data-module-ref="script.python@1">Python script</div>
      <div tabindex="0" class="react-flow__node" data-id="split"><span>Split rows</span></div>
      <svg><g tabindex="0" class="react-flow__edge" data-id="e1"></g></svg>`;
    const focus = (selector: string) => (dom.container.querySelector(selector) as HTMLElement | SVGElement).focus();
    return { focus };
  }
  const none = new Set<string>();

  it("wires what has keyboard focus before what is selected", () => {
    const { focus } = page();
    const selected = new Set(["data"]);
    focus("[data-module-ref]");
    expect(subjectToWire(doc, selected, none)).toEqual({ kind: "palette", module: "script.python@1" });
    focus(".react-flow__node");
    expect(subjectToWire(doc, selected, none)).toEqual({ kind: "node", id: "split" });
    focus(".react-flow__edge"); // a module added a moment ago is still selected: the focused wire wins
    expect(subjectToWire(doc, selected, none)).toEqual({ kind: "edge", id: "e1" });
  });

  it("else the only module selected, else the only wire selected, else nothing", () => {
    (document.activeElement as HTMLElement | null)?.blur();
    expect(subjectToWire(doc, new Set(["data"]), new Set(["e1"]))).toEqual({ kind: "node", id: "data" });
    expect(subjectToWire(doc, none, new Set(["e1"]))).toEqual({ kind: "edge", id: "e1" });
    expect(subjectToWire(doc, new Set(["data", "split"]), none)).toBeNull();
    expect(subjectToWire(doc, none, new Set(["gone"]))).toBeNull();
  });
});
