import { act } from "react";
import { describe, expect, it, vi } from "vitest";
import { mountEach } from "../test/dom";
import { parseValues, RunDialog, type RunRequest, type SweepRequest } from "./RunDialog";

const dom = mountEach();

function type(input: HTMLInputElement, value: string) {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set?.call(input, value);
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

const click = (el: Element | null) => act(() => el?.dispatchEvent(new MouseEvent("click", { bubbles: true })));

describe("parseValues", () => {
  it("reads numbers separated by commas, once each, and says which is not a number", () => {
    expect(parseValues("float", "0.01, 0.1,1, 0.1")).toEqual({ values: [0.01, 0.1, 1] });
    expect(parseValues("int", "3")).toEqual({ values: [3] });
    expect(parseValues("int", "1, 2.5")).toEqual({ problem: "Enter whole numbers separated by commas (2.5 is not one)" });
    expect(parseValues("float", "1, x")).toEqual({ problem: 'Enter numbers separated by commas ("x" is not one)' });
    expect(parseValues("float", "")).toEqual({ problem: "Enter a number" });
    expect(parseValues("bool", "both")).toEqual({ values: [true, false] });
    expect(parseValues("string", "a, b")).toEqual({ values: ["a, b"] });
  });
});

describe("RunDialog", () => {
  const parameters = { C: { type: "float" as const, default: 1, description: "" }, fit: { type: "bool" as const, default: true, description: "" } };

  it("starts a sweep of every combination when a parameter has several values", () => {
    const onRun = vi.fn<(r: RunRequest) => void>();
    const onSweep = vi.fn<(r: SweepRequest) => void>();
    act(() => dom.root.render(<RunDialog parameters={parameters} busy={false} onRun={onRun} onSweep={onSweep} onClose={() => undefined} />));
    const confirm = dom.container.ownerDocument.querySelector('[data-testid="run-confirm"]');
    expect(confirm?.textContent).toBe("Run");

    act(() => type(dom.container.ownerDocument.querySelector("#run-param-C") as HTMLInputElement, "0.1, 1, 10"));
    expect(confirm?.textContent).toBe("Run 3 runs");
    expect(dom.container.ownerDocument.querySelector('[data-testid="sweep-summary"]')?.textContent).toContain("A sweep of 3 runs");
    click(confirm);
    expect(onSweep).toHaveBeenCalledWith({ parameters: { C: [0.1, 1, 10], fit: [true] }, bypass_cache: false });
    expect(onRun).not.toHaveBeenCalled();

    act(() => type(dom.container.ownerDocument.querySelector("#run-param-C") as HTMLInputElement, "2"));
    click(confirm);
    expect(onRun).toHaveBeenCalledWith({ parameters: { C: 2, fit: true }, bypass_cache: false });
  });

  it("refuses more runs than a sweep starts, and several values where only one run can start", () => {
    act(() => dom.root.render(<RunDialog parameters={{ C: { type: "int" as const, default: 1, description: "" } }} busy={false} onRun={() => undefined} onSweep={() => undefined} onClose={() => undefined} />));
    const doc = dom.container.ownerDocument;
    act(() => type(doc.querySelector("#run-param-C") as HTMLInputElement, Array.from({ length: 26 }, (_, i) => i).join(",")));
    expect(doc.querySelector('[data-testid="sweep-summary"]')?.textContent).toBe("These values make 26 runs; a sweep starts at most 25.");
    expect((doc.querySelector('[data-testid="run-confirm"]') as HTMLButtonElement).disabled).toBe(true);

    act(() => dom.root.render(<RunDialog parameters={{ C: { type: "int" as const, default: 1, description: "" } }} busy={false} onRun={() => undefined} onClose={() => undefined} />));
    act(() => type(doc.querySelector("#run-param-C") as HTMLInputElement, "1, 2"));
    expect(doc.body.textContent).toContain("Enter one value (a sweep runs the whole pipeline)");
    expect((doc.querySelector('[data-testid="run-confirm"]') as HTMLButtonElement).disabled).toBe(true);
  });
});
