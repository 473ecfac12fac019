import { describe, expect, it } from "vitest";
import type { RunMetric, RunMetrics } from "../api/types";
import { bestValue, metricColumns, sortRuns, sweptParameter, valuesByRun } from "./metricsTable";

const metric = (name: string, value: number | null, better: RunMetric["better"], input: string | null = null): RunMetric => ({ step: "ev", label: "Evaluate model", port: "metrics", input, name, value, better });
const row = (id: number, metrics: RunMetric[], parameters: Record<string, unknown> = {}, version = 1): RunMetrics => ({ run: { id, parameters, version }, metrics }) as unknown as RunMetrics;

describe("metrics across runs", () => {
  const rows = [
    row(3, [metric("auc", 0.91, "higher"), metric("log_loss", 0.35, "lower")]),
    row(2, [metric("auc", 0.95, "higher"), metric("log_loss", 0.2, "lower"), metric("auc", 0.7, "higher", "scored2")]),
    row(1, []),
  ];
  const columns = metricColumns(rows);
  const values = valuesByRun(rows);

  it("has a column per metric of each step and scored input, in the order first reported", () => {
    expect(columns.map((c) => [c.name, c.source])).toEqual([
      ["auc", "Evaluate model"],
      ["log_loss", "Evaluate model"],
      ["auc", "Evaluate model · scored2"],
    ]);
  });

  it("marks the best value by the metric's direction", () => {
    expect(columns.map((c) => bestValue(c, values))).toEqual([0.95, 0.2, 0.7]);
    expect(bestValue({ ...columns[0], better: null }, values)).toBeNull();
  });

  it("sorts best first, reversed on demand, runs without the metric last", () => {
    const ids = (sorted: RunMetrics[]) => sorted.map((r) => r.run.id);
    expect(ids(sortRuns(rows, columns[0], values))).toEqual([2, 3, 1]);
    expect(ids(sortRuns(rows, columns[1], values))).toEqual([2, 3, 1]);
    expect(ids(sortRuns(rows, columns[1], values, true))).toEqual([3, 2, 1]);
    expect(ids(sortRuns(rows, null, values))).toEqual([3, 2, 1]);
    expect(ids(sortRuns(rows, null, values, true))).toEqual([1, 2, 3]);
  });
});

describe("the swept parameter", () => {
  it("is the one number parameter the newest version's runs differ in", () => {
    const sweep = [row(4, [], { C: 0.1, seed: 1 }, 2), row(3, [], { C: 1, seed: 1 }, 2), row(2, [], { C: 5, seed: 9 }, 1)];
    const found = sweptParameter(sweep);
    expect(found?.name).toBe("C");
    expect(found?.version).toBe(2);
    expect(found?.runs.map((r) => r.run.id)).toEqual([4, 3]); // version 1's run is left out
    expect(sweptParameter([row(2, [], { C: 1, seed: 1 }), row(1, [], { C: 2, seed: 2 })])).toBeNull(); // two vary
    expect(sweptParameter([row(2, [], { kind: "a" }), row(1, [], { kind: "b" })])).toBeNull(); // not numbers
    expect(sweptParameter([row(1, [], { C: 1 })])).toBeNull();
  });
});
