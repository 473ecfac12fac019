// A pipeline's succeeded runs side by side by the metrics their evaluating steps reported: the
// best of each column marked, sorted by any column; the sorted metric plotted against the one
// parameter a sweep varied.
import { useEffect, useMemo, useState } from "react";
import type { RunMetrics } from "../api/types";
import { linkProps } from "../router";
import { ListFooter } from "../ui/ListFooter";
import { usePagedList } from "../ui/usePagedList";
import { fmt, ParameterChart } from "./charts";
import { bestValue, metricColumns, metricLabel, sortRuns, sweptParameter, valuesByRun } from "./metricsTable";
import { parametersText } from "./RunTable";
import { openWorkspaceSocket } from "./socket";

/** `workspace`: whose socket tells of runs that succeeded (each reloads the table). */
export function MetricsTable({ graphId, workspace }: { graphId: number; workspace: number | undefined }) {
  const list = usePagedList<RunMetrics>(`/api/graphs/${graphId}/metrics/`, "", (r) => r.run.id);
  const { reload } = list;
  useEffect(() => {
    if (workspace === undefined) return undefined;
    const socket = openWorkspaceSocket(workspace, { onMessage: (msg) => msg.type === "run.finished" && msg.data.status === "succeeded" && reload() });
    return () => socket.close();
  }, [workspace, reload]);
  const [sort, setSort] = useState<{ key: string | null; reversed: boolean }>({ key: null, reversed: false });
  const columns = useMemo(() => metricColumns(list.items ?? []), [list.items]);
  const values = useMemo(() => valuesByRun(list.items ?? []), [list.items]);
  const best = useMemo(() => new Map(columns.map((c) => [c.key, bestValue(c, values)])), [columns, values]);
  const sortedBy = columns.find((c) => c.key === sort.key) ?? null;
  const rows = useMemo(() => sortRuns(list.items ?? [], sortedBy, values, sort.reversed), [list.items, sortedBy, values, sort.reversed]);
  const sortOn = (key: string | null) => setSort((s) => ({ key, reversed: s.key === key ? !s.reversed : false }));
  const swept = useMemo(() => sweptParameter(list.items ?? []), [list.items]);
  const arrow = (key: string | null) => (sort.key === key ? (sort.reversed ? " ▴" : " ▾") : "");
  if (list.error) return <div className="callout callout-error">{list.error}</div>;
  if (!list.items) return <p className="muted">Loading…</p>;
  if (list.items.length === 0) return <p className="muted">No succeeded runs yet.</p>;
  return (
    <>
      {columns.length === 0 ? (
        <p className="muted" data-testid="no-metrics">
          None of these runs evaluated anything. Add <strong>Evaluate model</strong>, <strong>Cross-validate model</strong> or <strong>Evaluate recommender</strong> to the pipeline, or return a dict of metrics from an <strong>Execute Python script</strong>, to compare its runs by their metrics.
        </p>
      ) : (
        <p className="muted small">The best value of each metric is marked; click a metric to sort the runs by it, best first (and, when the runs of the newest version differ in one number parameter, to plot it against that parameter).</p>
      )}
      {swept && sortedBy && (
        <ParameterChart
          testId="parameter-chart"
          title={`${metricLabel(sortedBy.name)} (${sortedBy.source}) against ${swept.name}, version ${swept.version}`}
          xLabel={swept.name}
          yLabel={metricLabel(sortedBy.name)}
          x={swept.runs.map((r) => r.run.parameters?.[swept.name] as number)}
          y={swept.runs.map((r) => values.get(r.run.id)?.get(sortedBy.key) ?? Number.NaN)}
        />
      )}
      <div className="table-scroll">
        <table className="data-table list-table metrics-table" data-testid="metrics-table">
          <thead>
            <tr>
              <th aria-sort={sort.key === null ? (sort.reversed ? "ascending" : "descending") : undefined}>
                <button type="button" className="link-button" onClick={() => sortOn(null)}>Run{arrow(null)}</button>
              </th>
              <th>Version</th>
              <th>Parameters</th>
              {columns.map((c) => (
                <th key={c.key} className="num" aria-sort={sort.key === c.key ? "other" : undefined} data-testid={`metric-column-${c.name}`}>
                  <button type="button" className="link-button" onClick={() => sortOn(c.key)} title={c.better ? `${c.better} is better` : "no known direction"}>
                    {metricLabel(c.name)}
                    {arrow(c.key)}
                  </button>
                  <div className="muted small">{c.source}</div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.run.id} data-testid={`metrics-row-${row.run.id}`}>
                <td>
                  <a {...linkProps(`/runs/${row.run.id}/`)}>#{row.run.id}</a>
                  <div className="muted small">{new Date(row.run.created_at).toLocaleString()}</div>
                </td>
                <td>v{row.run.version}</td>
                <td className="mono small wrap">{parametersText(row.run) || <span className="muted">—</span>}</td>
                {columns.map((c) => {
                  const value = values.get(row.run.id)?.get(c.key);
                  const isBest = typeof value === "number" && value === best.get(c.key);
                  return (
                    <td key={c.key} className={`num${isBest ? " metric-best" : ""}`} data-best={isBest || undefined}>
                      {fmt(value)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ListFooter list={list} noun="runs" />
    </>
  );
}
