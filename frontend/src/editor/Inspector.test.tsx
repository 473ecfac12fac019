import { act } from "react";
import { describe, expect, it, vi } from "vitest";
import { mountEach } from "../test/dom";
import type { Dataset, DatasetVersion } from "../api/types";
import type { Execution, ParamValue } from "../graph/document";
import { Catalogue } from "../graph/catalogue";
import { MODULES } from "../test/catalogue.fixture";
import { Inspector } from "./Inspector";
import { Palette } from "./Palette";

const catalogue = new Catalogue(MODULES);
const dom = mountEach();

function type(input: HTMLInputElement | HTMLTextAreaElement, value: string) {
  const proto = input instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, "value")?.set?.call(input, value);
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

function pick(select: HTMLSelectElement, value: string) {
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
}

function trainInspector(label: string, columns: string[] | null) {
  return (
    <Inspector
      node={{ id: "t", module: "ml.train_model@1", params: { label }, position: { x: 0, y: 0 } }}
      spec={catalogue.get("ml.train_model@1")}
      issues={[]}
      step={undefined}
      columns={columns}
      pipelineParams={{}}
      readOnly={false}
      onParam={() => undefined}
      onLabel={() => undefined}
      onExecution={() => undefined}
    />
  );
}

describe("Inspector", () => {
  it("keeps a chosen column the input lacks, marked, and lets it be typed while columns are unknown", () => {
    act(() => dom.root.render(trainInspector("targte", ["a", "target"])));
    const label = dom.container.querySelector<HTMLSelectElement>("#param-t-label") as HTMLSelectElement;
    expect(label.value).toBe("targte");
    expect(label.selectedOptions[0].textContent).toBe("targte (not in the input)");

    act(() => dom.root.render(trainInspector("target", ["a", "target"])));
    expect([...(dom.container.querySelector("#param-t-label") as HTMLSelectElement).options].map((o) => o.textContent)).toEqual(["(default)", "a", "target"]);

    act(() => dom.root.render(trainInspector("target", null)));
    const typed = dom.container.querySelector<HTMLInputElement>("#param-t-label");
    expect(typed?.tagName).toBe("INPUT");
    expect(typed?.value).toBe("target");
  });

  it("generates a field per param with ranges, and reports typed values", () => {
    const onParam = vi.fn<(name: string, value: ParamValue | undefined) => void>();
    const spec = catalogue.get("transform.split_rows@1");
    act(() =>
      dom.root.render(
        <Inspector
          node={{ id: "s", module: "transform.split_rows@1", params: { fraction: 0.2 }, position: { x: 0, y: 0 } }}
          spec={spec}
          issues={[{ code: "bad", message: "Seed is odd", node: "s", param: "seed" }]}
          step={undefined}
          columns={null}
          pipelineParams={{}}
          readOnly={false}
          onParam={onParam}
          onLabel={() => undefined}
          onExecution={() => undefined}
        />,
      ),
    );
    const fraction = dom.container.querySelector<HTMLInputElement>("#param-s-fraction");
    expect(fraction?.value).toBe("0.2");
    expect(dom.container.querySelector('[data-testid="field-fraction"] .field-range')?.textContent).toBe("0 – 1");
    expect(dom.container.querySelector('[data-testid="field-seed"] [data-testid="field-issue"]')?.textContent).toBe("Seed is odd");
    act(() => type(fraction as HTMLInputElement, "0.35"));
    expect(onParam).toHaveBeenLastCalledWith("fraction", 0.35);
    act(() => type(fraction as HTMLInputElement, "1.5"));
    expect(dom.container.querySelector('[data-testid="field-fraction"] .field-error')?.textContent).toBe("Must be at most 1");
  });

  it("says a number's problem once under its field, without the param's name in backticks", () => {
    const spec = catalogue.get("transform.split_rows@1");
    const render = (issues: { code: string; message: string; node: string; param: string }[]) =>
      act(() =>
        dom.root.render(
          <Inspector node={{ id: "s", module: "transform.split_rows@1", params: { fraction: 1.5 }, position: { x: 0, y: 0 } }} spec={spec} issues={issues} step={undefined} columns={null} pipelineParams={{}} readOnly={false} onParam={() => undefined} onLabel={() => undefined} onExecution={() => undefined} />,
        ),
      );
    const said = () => [...dom.container.querySelectorAll('[data-testid="field-fraction"] .field-error')].map((e) => e.textContent);
    render([]);
    expect(said()).toEqual(["Must be at most 1"]); // at once, before the server has checked
    render([{ code: "param_out_of_range", message: "node `s`: param `fraction` must be at most 1, got 1.5", node: "s", param: "fraction" }]);
    expect(said()).toEqual(["Must be at most 1, got 1.5"]);
  });

  it("shows an enum left unset at its default, which the step then uses", () => {
    const spec = catalogue.get("data.sample_dataset@1");
    const node = { id: "d", module: "data.sample_dataset@1", params: {}, position: { x: 0, y: 0 } };
    act(() =>
      dom.root.render(
        <Inspector node={node} spec={spec} issues={[]} step={undefined} columns={null} pipelineParams={{}} readOnly={false} onParam={() => undefined} onLabel={() => undefined} onExecution={() => undefined} />,
      ),
    );
    const select = dom.container.querySelector<HTMLSelectElement>("#param-d-name");
    expect(select?.value).toBe("");
    expect(select?.selectedOptions[0]?.textContent).toBe("iris (default)");
  });

  it("offers to bind each field only to the pipeline parameters of a type it takes", () => {
    const spec = catalogue.get("transform.split_rows@1");
    const node = { id: "s", module: "transform.split_rows@1", params: {}, position: { x: 0, y: 0 } };
    const parameters = {
      share: { type: "float" as const, default: 0.3, description: "" },
      folds: { type: "int" as const, default: 5, description: "" },
    };
    act(() =>
      dom.root.render(
        <Inspector node={node} spec={spec} issues={[]} step={undefined} columns={null} pipelineParams={parameters} readOnly={false} onParam={() => undefined} onLabel={() => undefined} onExecution={() => undefined} />,
      ),
    );
    const offered = (field: string) =>
      [...dom.container.querySelectorAll<HTMLOptionElement>(`[data-testid="field-${field}"] .bind-select option`)].map((o) => o.textContent);
    expect(offered("fraction")).toEqual(["$…", "$share", "$folds"]);
    expect(offered("seed")).toEqual(["$…", "$folds"]);
  });

  it("opens the Wires dialog from a button that names its key, unless the page is read-only", () => {
    const onWires = vi.fn();
    const spec = catalogue.get("transform.split_rows@1");
    const node = { id: "s", module: "transform.split_rows@1", params: {}, position: { x: 0, y: 0 } };
    const render = (readOnly: boolean) =>
      act(() =>
        dom.root.render(
          <Inspector node={node} spec={spec} issues={[]} step={undefined} columns={null} pipelineParams={{}} readOnly={readOnly} onParam={() => undefined} onLabel={() => undefined} onExecution={() => undefined} onWires={onWires} />,
        ),
      );
    render(false);
    const button = dom.container.querySelector('[data-testid="open-wires"]');
    expect(button?.getAttribute("aria-keyshortcuts")).toBe("W");
    act(() => button?.dispatchEvent(new MouseEvent("click", { bubbles: true })));
    expect(onWires).toHaveBeenCalledOnce();
    render(true);
    expect(dom.container.querySelector('[data-testid="open-wires"]')).toBeNull();
  });

  it("says when a module runs in a container image", () => {
    const plain = catalogue.get("ml.train_model@1");
    const node = { id: "t", module: "ml.train_model@1", params: {}, position: { x: 0, y: 0 } };
    const render = (spec: typeof plain) =>
      act(() =>
        dom.root.render(
          <Inspector node={node} spec={spec} issues={[]} step={undefined} columns={null} pipelineParams={{}} readOnly={false} onParam={() => undefined} onLabel={() => undefined} onExecution={() => undefined} />,
        ),
      );
    render(plain);
    expect(dom.container.querySelector('[data-testid="inspector-image"]')).toBeNull();
    render(plain && { ...plain, environment: { image: "team/sklearn:2", requirements: [] } });
    expect(dom.container.querySelector('[data-testid="inspector-image"]')?.textContent).toBe("Runs in the container image team/sklearn:2, without network.");
  });

  it("edits a node's execution limits, keeping the other one, and clears them", () => {
    const onExecution = vi.fn<(execution: Execution | undefined) => void>();
    const spec = catalogue.get("ml.train_model@1");
    const render = (execution?: Execution) =>
      act(() =>
        dom.root.render(
          <Inspector
            node={{ id: "t", module: "ml.train_model@1", params: {}, position: { x: 0, y: 0 }, execution }}
            spec={spec && { ...spec, timeout: 600 }}
            issues={[]}
            step={undefined}
            columns={null}
            pipelineParams={{}}
            readOnly={false}
            onParam={() => undefined}
            onLabel={() => undefined}
            onExecution={onExecution}
          />,
        ),
      );
    render();
    const section = dom.container.querySelector<HTMLDetailsElement>('[data-testid="execution-limits"]');
    expect(section?.open).toBe(false); // no limits of its own: folded
    const timeout = dom.container.querySelector<HTMLInputElement>("#param-t-limit-timeout") as HTMLInputElement;
    expect(timeout.placeholder).toBe("600 (module default)");
    act(() => type(timeout, "90"));
    expect(onExecution).toHaveBeenLastCalledWith({ timeout: 90 });
    render({ timeout: 90 });
    act(() => type(dom.container.querySelector<HTMLInputElement>("#param-t-limit-retries") as HTMLInputElement, "3"));
    expect(onExecution).toHaveBeenLastCalledWith({ timeout: 90, retries: 3 });
    act(() => type(dom.container.querySelector<HTMLInputElement>("#param-t-limit-retries") as HTMLInputElement, "11"));
    expect(dom.container.querySelector('[data-testid="field-limit-retries"] .field-error')?.textContent).toBe("Must be at most 10");
    render({ retries: 3 });
    act(() => type(dom.container.querySelector<HTMLInputElement>("#param-t-limit-retries") as HTMLInputElement, ""));
    expect(onExecution).toHaveBeenLastCalledWith({ retries: undefined });
  });

  it("offers upstream columns as a picker and code with highlighting", () => {
    const onParam = vi.fn<(name: string, value: ParamValue | undefined) => void>();
    act(() =>
      dom.root.render(
        <Inspector
          node={{ id: "t", module: "ml.train_model@1", params: { label: "target", features: ["b"] }, position: { x: 0, y: 0 } }}
          spec={catalogue.get("ml.train_model@1")}
          issues={[]}
          step={undefined}
          columns={["a", "b", "target"]}
          pipelineParams={{}}
          readOnly={false}
          onParam={onParam}
          onLabel={() => undefined}
          onExecution={() => undefined}
        />,
      ),
    );
    const chips = [...dom.container.querySelectorAll<HTMLInputElement>(".column-chip input")];
    expect(chips.map((c) => c.checked)).toEqual([false, true, false]);
    act(() => chips[0].click());
    expect(onParam).toHaveBeenLastCalledWith("features", ["b", "a"]);
    const label = dom.container.querySelector<HTMLSelectElement>("#param-t-label") as HTMLSelectElement;
    expect([...label.options].map((o) => o.textContent)).toEqual(["(default)", "a", "b", "target"]);
    expect(label.value).toBe("target");
    act(() => pick(label, "a"));
    expect(onParam).toHaveBeenLastCalledWith("label", "a");
    act(() => pick(label, ""));
    expect(onParam).toHaveBeenLastCalledWith("label", undefined); // back to the module's default

    act(() =>
      dom.root.render(
        <Inspector
          node={{ id: "p", module: "script.python@1", params: {}, position: { x: 0, y: 0 } }}
          spec={catalogue.get("script.python@1")}
          issues={[]}
          step={undefined}
          columns={null}
          pipelineParams={{}}
          readOnly={false}
          onParam={onParam}
          onLabel={() => undefined}
          onExecution={() => undefined}
        />,
      ),
    );
    expect(dom.container.querySelector("#param-p-code")).not.toBeNull();
    expect(dom.container.querySelector('[data-testid="code-error-line"]')).toBeNull();
    const failed = { key: "p", module: "script.python@1", status: "failed" as const, attempts: 1, reason: "", progress: null, outputs: {}, error: "code: line 1: KeyError: 'incme'", started_at: null, finished_at: null, history: [] };
    act(() =>
      dom.root.render(
        <Inspector
          node={{ id: "p", module: "script.python@1", params: {}, position: { x: 0, y: 0 } }}
          spec={catalogue.get("script.python@1")}
          issues={[]}
          step={failed}
          columns={null}
          pipelineParams={{}}
          readOnly={false}
          onParam={onParam}
          onLabel={() => undefined}
          onExecution={() => undefined}
        />,
      ),
    );
    expect(dom.container.querySelector('[data-testid="code-error-line"]')?.textContent).toContain("def run");
    expect(dom.container.querySelector("#param-p-code .cm-content, #param-p-code.cm-content")?.textContent).toContain("def run(a, b):");
  });
});

describe("Inspector of a registered dataset", () => {
  const churn = { id: 7, name: "churn", version_count: 2 } as Dataset;
  const version = (digest: string, rows: number) => ({ digest, rows, size: 1, columns: [], created_at: null }) as unknown as DatasetVersion;
  const reader = (params: Record<string, ParamValue>, onParam: (name: string, value: ParamValue | undefined) => void = () => undefined) => (
    <Inspector
      node={{ id: "d", module: "data.registered_dataset@1", params, position: { x: 0, y: 0 } }}
      spec={catalogue.get("data.registered_dataset@1")}
      issues={[]}
      step={undefined}
      columns={null}
      datasets={[churn]}
      pipelineParams={{}}
      readOnly={false}
      onParam={onParam}
      onLabel={() => undefined}
      onExecution={() => undefined}
    />
  );

  it("offers the chosen dataset's versions, newest first, with latest as the default", async () => {
    const asked: string[] = [];
    vi.stubGlobal("fetch", vi.fn(async (url: string) => {
      asked.push(url);
      return new Response(JSON.stringify({ count: 2, next: null, results: [version("b".repeat(64), 800), version("a".repeat(64), 1)] }), { headers: { "Content-Type": "application/json" } });
    }));
    const onParam = vi.fn<(name: string, value: ParamValue | undefined) => void>();
    try {
      await act(async () => dom.root.render(reader({ name: "churn", version: "aaaa" }, onParam)));
      expect(asked).toEqual([`/api/datasets/${churn.id}/versions/?limit=1000`]);
      const select = dom.container.querySelector<HTMLSelectElement>("#param-d-version") as HTMLSelectElement;
      expect([...select.options].map((o) => o.textContent)).toEqual(["latest (read anew on every run)", "v2 · bbbbbbbbbbbb · 800 rows", "v1 · aaaaaaaaaaaa · 1 row"]);
      expect(select.selectedOptions[0].textContent).toBe("v1 · aaaaaaaaaaaa · 1 row"); // a digest prefix chosen earlier
      act(() => pick(select, ""));
      expect(onParam).toHaveBeenLastCalledWith("version", null);

      await act(async () => dom.root.render(reader({ name: "not-registered" })));
      expect(dom.container.querySelector("#param-d-version")?.tagName).toBe("INPUT"); // no versions to offer
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe("Palette", () => {
  it("groups modules by category, filters by fuzzy search and adds on double-click", () => {
    const onAdd = vi.fn();
    act(() => dom.root.render(<Palette catalogue={catalogue} onAdd={onAdd} disabled={false} />));
    const categories = [...dom.container.querySelectorAll(".palette-category")].map((c) => c.textContent);
    expect(categories.some((c) => c?.includes("Machine learning"))).toBe(true);
    const search = dom.container.querySelector<HTMLInputElement>('[data-testid="palette-search"]') as HTMLInputElement;
    act(() => type(search, "evl"));
    const items = [...dom.container.querySelectorAll(".palette-item")];
    expect(items.map((i) => i.querySelector(".palette-name")?.textContent)).toEqual(["Evaluate model"]);
    act(() => items[0].dispatchEvent(new MouseEvent("dblclick", { bubbles: true })));
    expect(onAdd).toHaveBeenCalledWith(expect.objectContaining({ ref: "ml.evaluate_model@1" }));
  });
});
