// A pipeline's runs side by side: one column per metric an evaluating step reported, the best
// value of each column, and the runs sorted by a column.
import type { RunMetric, RunMetrics } from "../api/types";

export interface MetricColumn {
  key: string;
  name: string;
  /** The step that reported it, and the scored input when it compared several. */
  source: string;
  better: RunMetric["better"];
}

export const columnKey = (m: RunMetric): string => `${m.step}\u0000${m.port}\u0000${m.input ?? ""}\u0000${m.name}`;

/** Every metric any run reported, in the order they first appear (newest run first). */
export function metricColumns(rows: readonly RunMetrics[]): MetricColumn[] {
  const columns = new Map<string, MetricColumn>();
  for (const row of rows) {
    for (const m of row.metrics) {
      const key = columnKey(m);
      if (!columns.has(key)) columns.set(key, { key, name: m.name, source: m.input ? `${m.label} · ${m.input}` : m.label, better: m.better });
    }
  }
  return [...columns.values()];
}

/** Each run's values by column key. */
export function valuesByRun(rows: readonly RunMetrics[]): Map<number, Map<string, number | null>> {
  return new Map(rows.map((row) => [row.run.id, new Map(row.metrics.map((m) => [columnKey(m), m.value ?? null]))]));
}

/** The best value of a column (null when it has no direction or no values). */
export function bestValue(column: MetricColumn, values: Map<number, Map<string, number | null>>): number | null {
  if (!column.better) return null;
  const seen = [...values.values()].map((v) => v.get(column.key)).filter((v): v is number => typeof v === "number");
  if (seen.length === 0) return null;
  return column.better === "higher" ? Math.max(...seen) : Math.min(...seen);
}

/** The runs ordered by a column, best first (largest first without a direction); runs without
 * the metric last. `null` keeps the newest first. */
export function sortRuns(rows: readonly RunMetrics[], column: MetricColumn | null, values: Map<number, Map<string, number | null>>, reversed = false): RunMetrics[] {
  if (!column) return reversed ? [...rows].reverse() : [...rows];
  const sign = column.better === "lower" ? 1 : -1;
  const value = (row: RunMetrics) => values.get(row.run.id)?.get(column.key);
  const known = rows.filter((r) => typeof value(r) === "number");
  const unknown = rows.filter((r) => typeof value(r) !== "number");
  known.sort((a, b) => sign * ((value(a) as number) - (value(b) as number)));
  return [...(reversed ? known.reverse() : known), ...unknown];
}

/** The runs of one sweep to chart: those of the newest run's version, when exactly one pipeline
 * parameter varies among them and its values are numbers (else null). */
export function sweptParameter(rows: readonly RunMetrics[]): { name: string; version: number; runs: RunMetrics[] } | null {
  if (rows.length === 0) return null;
  const newest = rows.reduce((a, b) => (b.run.id > a.run.id ? b : a));
  const runs = rows.filter((r) => r.run.version === newest.run.version);
  const names = new Set(runs.flatMap((r) => Object.keys(r.run.parameters ?? {})));
  const varying = [...names].filter((name) => new Set(runs.map((r) => JSON.stringify(r.run.parameters?.[name] ?? null))).size > 1);
  if (varying.length !== 1) return null;
  const [name] = varying;
  if (!runs.every((r) => typeof r.run.parameters?.[name] === "number")) return null;
  return { name, version: newest.run.version, runs };
}

/** How a metric is named on screen: "log loss" for log_loss, as the output preview and Compare say it. */
export const metricLabel = (name: string): string => name.replace(/_/g, " ");
