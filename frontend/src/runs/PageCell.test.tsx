import { act } from "react";
import { describe, expect, it } from "vitest";
import { mountEach } from "../test/dom";
import { PageCell, cutLengths } from "./PageCell";

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
    expect(cut.querySelector('[data-testid="cell-cut"]')?.getAttribute("title")).toContain("CSV");
    expect(whole.textContent).toBe("short");
    expect(whole.querySelector('[data-testid="cell-cut"]')).toBeNull();
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
