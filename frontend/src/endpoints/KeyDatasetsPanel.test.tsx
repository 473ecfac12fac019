import { act } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { mountEach } from "../test/dom";
import { KeyDatasetsPanel } from "./KeyDatasetsPanel";
import type { Endpoint } from "./types";

const api = vi.hoisted(() => ({ get: vi.fn<(url: string) => Promise<unknown>>() }));
vi.mock("../api/client", () => ({ api, items: (d: { results: unknown[] }) => d.results }));

const dom = mountEach();
const find = <T extends Element = HTMLElement>(selector: string) => dom.container.querySelector<T>(selector);

async function mount(keyDatasets: string[], canEdit: boolean, change = vi.fn(async () => undefined)) {
  const endpoint = { id: 7, workspace: 3, key_datasets: keyDatasets } as unknown as Endpoint;
  await act(async () => dom.root.render(<KeyDatasetsPanel endpoint={endpoint} canEdit={canEdit} change={change} />));
  return change;
}

describe("KeyDatasetsPanel", () => {
  beforeEach(() => {
    api.get.mockReset();
    api.get.mockResolvedValue({ results: [{ name: "customers" }, { name: "salaries" }] });
  });

  it("grants a dataset picked from the workspace's others, and takes one back", async () => {
    const change = await mount(["customers"], true);
    expect(api.get).toHaveBeenCalledWith("/api/workspaces/3/datasets/?limit=500");
    const choice = find<HTMLSelectElement>("[data-testid=key-dataset-choice]")!;
    expect([...choice.options].map((o) => o.value)).toEqual(["", "salaries"]);
    await act(async () => {
      choice.value = "salaries";
      choice.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await act(async () => find<HTMLButtonElement>("[data-testid=key-dataset-grant]")!.click());
    expect(change).toHaveBeenCalledWith({ key_datasets: ["customers", "salaries"] });
    await act(async () => find<HTMLButtonElement>("[aria-label='Stop granting customers']")!.click());
    expect(change).toHaveBeenLastCalledWith({ key_datasets: [] });
  });

  it("shows a viewer the list without controls, and says when none is granted", async () => {
    await mount(["customers"], false);
    expect(find("[data-testid=key-dataset]")?.textContent).toBe("customers ");
    expect(find("button")).toBeNull();
    expect(find("select")).toBeNull();
    await mount([], false);
    expect(find("[data-testid=key-datasets-none]")).not.toBeNull();
  });
});
