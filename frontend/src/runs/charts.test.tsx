import { act } from "react";
import { describe, expect, it } from "vitest";
import { mountEach } from "../test/dom";
import { ScatterChart } from "./charts";

const dom = mountEach();

describe("predicted against actual", () => {
  it("places every point on axes fitted to both series, with the line where they are equal", () => {
    const series = [
      { name: "Linear regression", x: [10, 20, 30], y: [12, 18, 30] },
      { name: "Decision forest", x: [10, 20, 30], y: [50, 20, Number.NaN] },
    ];
    act(() => dom.root.render(<ScatterChart title="Predicted against actual" xLabel="actual" yLabel="predicted" series={series} />));
    const points = [...dom.container.querySelectorAll("circle")].map((c) => [Number(c.getAttribute("cx")), Number(c.getAttribute("cy"))]);
    expect(points).toHaveLength(5); // the missing prediction is left out
    const diagonal = dom.container.querySelector(".chart-diagonal") as SVGLineElement;
    const [x1, y1, x2, y2] = ["x1", "y1", "x2", "y2"].map((a) => Number(diagonal.getAttribute(a)));
    // a perfect prediction (30, 30) lies on the diagonal's end; the range is 10 to 50 over both series
    expect(points[2]).toEqual([x1 + ((30 - 10) / 40) * (x2 - x1), y1 + ((30 - 10) / 40) * (y2 - y1)]);
    expect(points[3][1]).toBeCloseTo(y2, 5); // 50, the largest value, at the top
    expect([...dom.container.querySelectorAll(".chart-legend span")].map((s) => s.textContent?.trim())).toEqual(["Linear regression", "Decision forest"]);
  });
});
