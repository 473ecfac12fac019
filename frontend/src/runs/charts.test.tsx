import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ScatterChart } from "./charts";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  container = document.createElement("div");
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

describe("predicted against actual", () => {
  it("places every point on axes fitted to both series, with the line where they are equal", () => {
    const series = [
      { name: "Linear regression", x: [10, 20, 30], y: [12, 18, 30] },
      { name: "Decision forest", x: [10, 20, 30], y: [50, 20, Number.NaN] },
    ];
    act(() => root.render(<ScatterChart title="Predicted against actual" xLabel="actual" yLabel="predicted" series={series} />));
    const points = [...container.querySelectorAll("circle")].map((c) => [Number(c.getAttribute("cx")), Number(c.getAttribute("cy"))]);
    expect(points).toHaveLength(5); // the missing prediction is left out
    const diagonal = container.querySelector(".chart-diagonal") as SVGLineElement;
    const [x1, y1, x2, y2] = ["x1", "y1", "x2", "y2"].map((a) => Number(diagonal.getAttribute(a)));
    // a perfect prediction (30, 30) lies on the diagonal's end; the range is 10 to 50 over both series
    expect(points[2]).toEqual([x1 + ((30 - 10) / 40) * (x2 - x1), y1 + ((30 - 10) / 40) * (y2 - y1)]);
    expect(points[3][1]).toBeCloseTo(y2, 5); // 50, the largest value, at the top
    expect([...container.querySelectorAll(".chart-legend span")].map((s) => s.textContent?.trim())).toEqual(["Linear regression", "Decision forest"]);
  });
});
