// A real-time endpoint's monitoring: calls, errors and latency (p50/p99) per version over a window, input drift against
// the training rows, and the last failed calls.
import { useCallback, useEffect, useState } from "react";
import { api } from "../api/client";
import { fmt } from "../runs/charts";
import { type Bucket, CallsChart } from "./CallsChart";
import type { Monitoring, MonitoringWindow, StatsPoint, VersionMonitoring } from "./types";

const WINDOWS: Record<MonitoringWindow, { label: string; bucket: Bucket }> = {
  hour: { label: "Last hour (per minute)", bucket: "minute" },
  day: { label: "Last day (per 15 minutes)", bucket: "15 minutes" },
  week: { label: "Last week (per hour)", bucket: "hour" },
};
const HEIGHT = 80;

/** A column's mean and standard deviation, written as the metrics tables write numbers. */
export const meanAndStd = (mean: number, std: number): string => `${fmt(mean)} ± ${fmt(std)}`;
const ms = (value: number | null) => (value === null ? "—" : `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`);

/** p99 (line) and p50 (dashed) of one version per step, on a shared scale. */
function LatencyChart({ version }: { version: VersionMonitoring }) {
  const width = 4;
  const top = Math.max(0.001, ...version.points.map((p) => p.p99_ms ?? 0));
  const xy = (pick: (p: VersionMonitoring["points"][number]) => number | null) =>
    version.points
      .map((p, i) => [i, pick(p)] as const)
      .filter((point): point is readonly [number, number] => point[1] !== null)
      .map(([i, v]) => [i * width + width / 2, HEIGHT - (v / top) * HEIGHT] as const);
  const p99 = xy((p) => p.p99_ms);
  return (
    <svg width={version.points.length * width} height={HEIGHT + 2} role="img" aria-label={`Latency of v${version.number}`} className="latency-chart">
      <polyline points={p99.map((p) => p.join(",")).join(" ")} className="latency-p99" />
      <polyline points={xy((p) => p.p50_ms).map((p) => p.join(",")).join(" ")} className="latency-p50" />
      {p99.map(([x, y]) => (
        <circle key={x} cx={x} cy={y} r={1.8} className="latency-dot" />
      ))}
      <line x1={0} x2={version.points.length * width} y1={HEIGHT + 0.5} y2={HEIGHT + 0.5} className="chart-axis" />
    </svg>
  );
}

export function MonitoringPanel({ endpointId, refresh }: { endpointId: number; refresh: number }) {
  const [window, setWindow] = useState<MonitoringWindow>("hour");
  const [data, setData] = useState<Monitoring | null>(null);
  const load = useCallback(() => {
    api
      .get<Monitoring>(`/api/endpoints/${endpointId}/monitoring/?window=${window}`)
      .then(setData)
      .catch(() => undefined);
  }, [endpointId, window]);
  useEffect(() => {
    load();
    const timer = globalThis.setInterval(load, 10_000);
    return () => globalThis.clearInterval(timer);
  }, [load, refresh]);

  const called = data?.versions.filter((v) => v.calls > 0) ?? [];
  const totals: StatsPoint[] = (data?.versions[0]?.points ?? []).map((p, i) => ({
    start: p.start,
    calls: data?.versions.reduce((sum, v) => sum + v.points[i].calls, 0) ?? 0,
    failures: data?.versions.reduce((sum, v) => sum + v.points[i].errors, 0) ?? 0,
  }));
  return (
    <section data-testid="monitoring">
      <div className="section-head">
        <h2>Monitoring</h2>
        <div className="inline-form">
          <select value={window} onChange={(e) => setWindow(e.target.value as MonitoringWindow)} aria-label="Monitoring window">
            {Object.entries(WINDOWS).map(([value, w]) => (
              <option key={value} value={value}>
                {w.label}
              </option>
            ))}
          </select>
          <button className="small" onClick={load}>Refresh</button>
        </div>
      </div>
      <CallsChart points={totals} bucket={WINDOWS[window].bucket} />
      <table className="data-table list-table" data-testid="monitoring-table">
        <thead>
          <tr>
            <th>Version</th>
            <th>Calls</th>
            <th>Errors</th>
            <th>Rows</th>
            <th>p50</th>
            <th>p99</th>
            <th>Latency over the window (p99, p50 dashed; top {"="} the window's highest p99)</th>
          </tr>
        </thead>
        <tbody>
          {called.map((v) => (
            <tr key={v.number} data-testid={`monitoring-v${v.number}`}>
              <td>v{v.number}</td>
              <td data-testid="monitoring-calls">{v.calls}</td>
              <td>{v.errors}</td>
              <td>{v.rows}</td>
              <td>{ms(v.p50_ms)}</td>
              <td>{ms(v.p99_ms)}</td>
              <td>
                <LatencyChart version={v} />
              </td>
            </tr>
          ))}
          {called.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No calls in this window.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <p className="muted small">Latency is measured in the scoring service, from a call's arrival to its answer (5 % buckets).</p>
      {called.some((v) => v.inputs.length > 0) && (
        <>
          <h3>Inputs against the training rows</h3>
          <table className="data-table list-table" data-testid="input-drift">
            <thead>
              <tr>
                <th>Version</th>
                <th>Column</th>
                <th>Live mean ± std</th>
                <th>Training mean ± std</th>
                <th>Shift</th>
                <th>Values</th>
              </tr>
            </thead>
            <tbody>
              {called.flatMap((v) =>
                v.inputs.slice(0, 5).map((c) => (
                  <tr key={`${v.number}-${c.column}`}>
                    <td>v{v.number}</td>
                    <td>{c.column}</td>
                    <td>{meanAndStd(c.mean, c.std)}</td>
                    <td>{meanAndStd(c.training_mean, c.training_std)}</td>
                    <td className={c.shift !== null && Math.abs(c.shift) >= 1 ? "drift-high" : ""}>{c.shift === null ? "—" : `${c.shift.toFixed(2)} σ`}</td>
                    <td>{c.values}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
          <p className="muted small">
            The numeric inputs of up to 10 rows per scored call, against the training rows; shift = how far the live mean moved, in training
            standard deviations (the five largest per version).
          </p>
        </>
      )}
      {data && data.last_errors.length > 0 && (
        <>
          <h3>Last failed calls</h3>
          <table className="data-table list-table" data-testid="last-errors">
            <thead>
              <tr>
                <th>When</th>
                <th>Version</th>
                <th>Error</th>
                <th>Input</th>
              </tr>
            </thead>
            <tbody>
              {data.last_errors.slice(0, 10).map((e, i) => (
                <tr key={i}>
                  <td className="small">{new Date(e.time).toLocaleString()}</td>
                  <td>v{e.version}</td>
                  <td className="small wrap">
                    <strong>{e.code}</strong> {e.detail}
                  </td>
                  <td className="small wrap mono">{e.input === null ? <span className="muted">not kept</span> : e.input + (e.input_truncated ? " …" : "")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
