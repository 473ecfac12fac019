import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PAGE_SIZE, usePagedList, type PagedList } from "./usePagedList";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const get = vi.hoisted(() => vi.fn<(url: string) => Promise<unknown>>());
vi.mock("../api/client", () => ({ api: { get }, errorMessage: (e: unknown) => String(e) }));

interface Row {
  id: number;
}

/** The server's rows, newest first, answered a page at a time as the API does. */
function serve(rows: Row[]) {
  get.mockImplementation((url: string) => {
    const query = new URL(url, "http://x").searchParams;
    const offset = Number(query.get("offset")), limit = Number(query.get("limit"));
    return Promise.resolve({ count: rows.length, results: rows.slice(offset, offset + limit) });
  });
}

let container: HTMLDivElement;
let root: Root;
let list: PagedList<Row>;

function Probe({ search }: { search: string }) {
  list = usePagedList<Row>("/api/things/", search, (row) => row.id);
  return null;
}

async function settle() {
  await act(async () => {
    await vi.runAllTimersAsync();
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  get.mockReset();
  container = document.createElement("div");
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  vi.useRealTimers();
});

describe("usePagedList", () => {
  it("shows a page, then the next one, each item once when new ones came in at the top", async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({ id: 120 - i }));
    serve(rows);
    act(() => root.render(<Probe search="" />));
    await settle();
    expect(list.items?.map((r) => r.id)).toEqual(rows.slice(0, PAGE_SIZE).map((r) => r.id));
    expect(list.count).toBe(120);

    rows.unshift({ id: 121 }); // a run started meanwhile: the next page begins one row earlier
    act(() => list.loadMore());
    await settle();
    const ids = list.items?.map((r) => r.id) ?? [];
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(rows.slice(1, 2 * PAGE_SIZE).map((r) => r.id));
  });

  it("drops an older search's answer that comes after a newer one's", async () => {
    const answers: Record<string, (value: unknown) => void> = {};
    get.mockImplementation((url: string) => new Promise((resolve) => (answers[new URL(url, "http://x").searchParams.get("q") ?? ""] = resolve)));
    act(() => root.render(<Probe search="churn" />));
    await settle();
    act(() => root.render(<Probe search="churn model" />));
    await settle();
    await act(async () => answers["churn model"]({ count: 1, results: [{ id: 2 }] }));
    await act(async () => answers["churn"]({ count: 2, results: [{ id: 1 }, { id: 2 }] }));
    expect(list.items).toEqual([{ id: 2 }]);
    expect(get.mock.calls.map(([url]) => new URL(url, "http://x").searchParams.get("q"))).toEqual(["churn", "churn model"]);
  });
});
