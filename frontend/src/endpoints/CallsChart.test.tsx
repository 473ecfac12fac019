import { act } from "react";
import { describe, expect, it } from "vitest";
import { mountEach } from "../test/dom";
import { CallsChart } from "./CallsChart";
import type { StatsPoint } from "./types";

const dom = mountEach();

const point = (minute: number, calls: number, failures = 0): StatsPoint => ({ start: `2026-12-05T17:0${minute}:00Z`, calls, failures });

function caption(points: StatsPoint[]): string | null | undefined {
  act(() => dom.root.render(<CallsChart points={points} bucket="minute" />));
  return dom.container.querySelector("figcaption")?.textContent;
}

describe("CallsChart", () => {
  it("counts the busiest bucket's calls, in words that fit the count", () => {
    expect(caption([point(0, 0), point(1, 0)])).toMatch(/^No calls yet;/);
    expect(caption([point(0, 1), point(1, 0)])).toMatch(/^At most 1 call per minute;/);
    expect(caption([point(0, 3, 1), point(1, 7)])).toMatch(/^At most 7 calls per minute;/);
  });
});
