import { act } from "react";
import { describe, expect, it } from "vitest";
import { mountEach } from "../test/dom";
import { LONG_CELL_CHARS, PageCell, cutLengths } from "./PageCell";

const dom = mountEach();

describe("a page's cells", () => {
  it("finds each cut cell's whole length by its row and column in the page", () => {
    const lengths = cutLengths([{ row: 2, column: 1, length: 1_048_576 }]);
    expect(lengths.get("2:1")).toBe(1_048_576);
    expect(lengths.get("1:2")).toBeUndefined();
    expect(cutLengths([{ row: 0, column: 3, length: null }]).get("0:3")).toBeNull();
  });

  it("shows a cut cell's text and says how long it is in all", () => {
    act(() =>
      dom.root.render(
        <table>
          <tbody>
            <tr>
              <PageCell value={"a".repeat(1000)} length={1_048_576} />
              <PageCell value="short" />
            </tr>
          </tbody>
        </table>,
      ),
    );
    const [cut, whole] = [...dom.container.querySelectorAll("td")];
    expect(cut.textContent).toBe(`${"a".repeat(1000)}… 1,048,576 characters in all`);
    expect(cut.querySelector('[data-testid="cell-long"]')?.textContent).toBe("a".repeat(1000));
    expect(cut.querySelector('[data-testid="cell-cut"]')?.getAttribute("title")).toContain("CSV");
    expect(whole.textContent).toBe("short");
    expect(whole.querySelector('[data-testid="cell-cut"]')).toBeNull();
  });

  it("shows a long cell on one line until it is opened, and on one line again when closed", () => {
    act(() =>
      dom.root.render(
        <table>
          <tbody>
            <tr>
              <PageCell value={"b".repeat(LONG_CELL_CHARS + 1)} />
              <PageCell value={"c".repeat(LONG_CELL_CHARS)} />
            </tr>
          </tbody>
        </table>,
      ),
    );
    const [long, fits] = [...dom.container.querySelectorAll("td")];
    const toggle = long.querySelector<HTMLButtonElement>('[data-testid="cell-long"]')!;
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(long.classList.contains("cell-open")).toBe(false);
    act(() => toggle.click());
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(long.classList.contains("cell-open")).toBe(true);
    expect(toggle.textContent).toBe("b".repeat(LONG_CELL_CHARS + 1));
    act(() => toggle.click());
    expect(long.classList.contains("cell-open")).toBe(false);
    expect(fits.querySelector("button")).toBeNull();
    expect(fits.textContent).toBe("c".repeat(LONG_CELL_CHARS));
  });

  it("shows a cut list as the JSON of its first items and says it was cut, with no length", () => {
    act(() =>
      dom.root.render(
        <table>
          <tbody>
            <tr>
              <PageCell value={[1, 2, 3]} length={null} />
            </tr>
          </tbody>
        </table>,
      ),
    );
    const cell = dom.container.querySelector("td");
    expect(cell?.textContent).toBe("[1,2,3] … cut");
    expect(cell?.querySelector('[data-testid="cell-cut"]')?.getAttribute("title")).toContain("CSV");
  });
});
