import { act } from "react";
import { describe, expect, it } from "vitest";
import { mountEach } from "../test/dom";
import { MatrixView, squareMatrix } from "./MatrixView";

const dom = mountEach();

const columns = ["Feature", "a", "b"];
const rows = [
  ["a", 1, -0.8],
  ["b", -0.8, 1],
];

describe("correlation matrix", () => {
  it("is read from Compute correlation's table and from nothing else", () => {
    expect(squareMatrix(columns, rows)).toEqual({ labels: ["a", "b"], values: [[1, -0.8], [-0.8, 1]] });
    expect(squareMatrix(columns, [...rows, ["c", 0, 0]])).toBeNull();
    expect(squareMatrix(columns, [rows[1], rows[0]])).toBeNull();
    expect(squareMatrix(["Name", "a", "b"], rows)).toBeNull();
    expect(squareMatrix(columns, [["a", 1, 7], ["b", 7, 1]])).toBeNull();
    expect(squareMatrix(columns, [["a", 1, null], ["b", null, 1]])?.values).toEqual([[1, null], [null, 1]]);
  });

  it("colours each cell by its sign and strength", () => {
    act(() => dom.root.render(<MatrixView matrix={squareMatrix(columns, rows)!} />));
    const cells = [...dom.container.querySelectorAll("tbody td")] as HTMLTableCellElement[];
    expect(cells.map((c) => c.textContent)).toEqual(["1.00", "-0.80", "-0.80", "1.00"]);
    expect(cells[0].style.background).toBe("rgba(220, 38, 38, 0.85)");
    expect(cells[1].style.background).toBe("rgba(37, 99, 235, 0.68)");
    expect(cells[1].title).toBe("a × b: -0.8");
  });
});
