import { act } from "react";
import { describe, expect, it } from "vitest";
import { mountEach } from "../test/dom";
import { ParameterChart, ScatterChart } from "./charts";

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

describe("a metric against a parameter", () => {
  it("joins the points in the parameter's order, on a log scale when the values span a hundredfold", () => {
    act(() => dom.root.render(<ParameterChart title="auc against C" xLabel="C" yLabel="auc" x={[1, 0.01, 100, 0.1]} y={[0.9, 0.7, 0.8, 0.85]} />));
    const xs = [...dom.container.querySelectorAll("circle")].map((c) => Number(c.getAttribute("cx")));
    const gaps = xs.slice(1).map((x, i) => x - xs[i]);
    expect(gaps.every((g) => g > 0)).toBe(true); // 0.01, 0.1, 1, 100 from left to right
    expect(gaps[0]).toBeCloseTo(gaps[1], 0); // a decade is as wide as the next
    expect(dom.container.textContent).toContain("C (log scale)");

    act(() => dom.root.render(<ParameterChart title="auc against depth" xLabel="depth" yLabel="auc" x={[2, 4, 8]} y={[0.7, 0.8, 0.9]} />));
    const linear = [...dom.container.querySelectorAll("circle")].map((c) => Number(c.getAttribute("cx")));
    expect(linear[2] - linear[1]).toBeCloseTo(2 * (linear[1] - linear[0]), 0);
    expect(dom.container.textContent).not.toContain("log scale");
  });
});
