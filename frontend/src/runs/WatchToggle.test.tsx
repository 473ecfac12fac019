import { act } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Watch } from "../api/types";
import { mountEach } from "../test/dom";
import { WatchToggle } from "./WatchToggle";

const api = vi.hoisted(() => ({
  get: vi.fn<(url: string) => Promise<unknown>>(),
  put: vi.fn<(url: string, body: unknown) => Promise<unknown>>(),
  delete: vi.fn<(url: string) => Promise<void>>(),
}));
vi.mock("../api/client", () => ({ api, errorMessage: (e: unknown) => String(e) }));

const dom = mountEach();
const UNWATCHED: Watch = { watching: false, scope: "others", recovered: true, has_email: true, mail_enabled: true };

async function mount(state: Watch) {
  api.get.mockResolvedValue(state);
  await act(async () => dom.root.render(<WatchToggle graphId={7} />));
}

const find = <T extends Element = HTMLElement>(selector: string) => dom.container.querySelector<T>(selector);

async function click(selector: string) {
  await act(async () => find<HTMLElement>(selector)?.click());
}

describe("WatchToggle", () => {
  beforeEach(() => {
    api.get.mockReset();
    api.put.mockReset();
    api.delete.mockReset();
  });

  it("watches with the chosen runs and recovery mails, then shows it is watching", async () => {
    await mount(UNWATCHED);
    expect(api.get).toHaveBeenCalledWith("/api/graphs/7/watch/");
    expect(find("[data-testid=watch-button]")?.textContent).toBe("Watch");
    await click("[data-testid=watch-button]");
    expect(find<HTMLInputElement>("input[value=others]")?.checked).toBe(true);
    expect(find("[data-testid=watch-no-email]")).toBeNull();
    expect(find("[data-testid=watch-no-mail]")).toBeNull();
    await click("input[value=all]");
    await click("[data-testid=watch-recovered]");
    api.put.mockResolvedValue({ data: { ...UNWATCHED, watching: true, scope: "all", recovered: false } });
    await click("[data-testid=watch-save]");
    expect(api.put).toHaveBeenCalledWith("/api/graphs/7/watch/", { scope: "all", recovered: false });
    expect(find("[data-testid=watch-panel]")).toBeNull();
    expect(find("[data-testid=watch-button]")?.textContent).toBe("Watching");
  });

  it("stops watching", async () => {
    await mount({ ...UNWATCHED, watching: true, scope: "all" });
    await click("[data-testid=watch-button]");
    expect(find<HTMLInputElement>("input[value=all]")?.checked).toBe(true);
    api.delete.mockResolvedValue(undefined);
    await click("[data-testid=watch-stop]");
    expect(api.delete).toHaveBeenCalledWith("/api/graphs/7/watch/");
    expect(find("[data-testid=watch-button]")?.textContent).toBe("Watch");
  });

  it("tells a user without an address where to set one, and says when the server sends no mail", async () => {
    await mount({ ...UNWATCHED, has_email: false, mail_enabled: false });
    await click("[data-testid=watch-button]");
    expect(find("[data-testid=watch-no-email]")?.textContent).toContain("no e-mail address");
    expect(find<HTMLAnchorElement>("[data-testid=watch-no-email] a")?.getAttribute("href")).toBe("/tokens/");
    expect(find("[data-testid=watch-no-mail]")?.textContent).toContain("EMAIL_HOST");
  });

  it("says why a watch was refused and keeps the panel open", async () => {
    await mount(UNWATCHED);
    await click("[data-testid=watch-button]");
    api.put.mockRejectedValue(new Error("Graph 7 not found."));
    await click("[data-testid=watch-save]");
    expect(find("[data-testid=watch-panel]")?.textContent).toContain("Graph 7 not found.");
    expect(find("[data-testid=watch-button]")?.textContent).toBe("Watch");
  });
});
