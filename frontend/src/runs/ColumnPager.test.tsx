import { act } from "react";
import { describe, expect, it } from "vitest";
import { mountEach } from "../test/dom";
import { ColumnPager, PAGE_COLUMNS } from "./ColumnPager";

const dom = mountEach();

function render(first: number, shown: number, total: number, moves: number[]) {
  act(() => dom.root.render(<ColumnPager first={first} shown={shown} total={total} onMove={(f) => moves.push(f)} />));
  const q = (id: string) => dom.container.querySelector<HTMLButtonElement>(`[data-testid="${id}"]`);
  return { previous: q("columns-previous"), next: q("columns-next"), shown: q("columns-shown")?.textContent };
}

describe("a wide table's column pager", () => {
  it("is not shown when the page holds every column", () => {
    render(0, 12, 12, []);
    expect(dom.container.querySelector('[data-testid="column-pager"]')).toBeNull();
  });

  it("names the columns shown and moves a page of columns each way", () => {
    const moves: number[] = [];
    const first = render(0, PAGE_COLUMNS, 4097, moves);
    expect(first.shown).toBe("columns 1–100 of 4,097");
    expect(first.previous?.disabled).toBe(true);
    act(() => first.next?.click());
    const middle = render(PAGE_COLUMNS, PAGE_COLUMNS, 4097, moves);
    act(() => middle.previous?.click());
    const last = render(4000, 97, 4097, moves);
    expect(last.shown).toBe("columns 4,001–4,097 of 4,097");
    expect(last.next?.disabled).toBe(true);
    expect(moves).toEqual([PAGE_COLUMNS, 0]);
  });
});
