// Preview of one output port: a table with column stats and histograms (a correlation matrix as a heatmap), metrics with ROC / PR curves and a confusion matrix, or figures.
import { useEffect, useState } from "react";
import { api, errorMessage } from "../api/client";
import type { ColumnSummary, ObjectSummary as ObjectSummaryData, OutputInfo, OutputPreviewData } from "../api/types";
import { bytes } from "../ui/bytes";
import { ConfusionMatrix, CurveChart, Histogram, ScatterChart, fmt } from "./charts";
import { downloads } from "./downloads";
import { FiguresView, figuresOf } from "./FiguresView";
import { MatrixView, squareMatrix } from "./MatrixView";
import { ColumnPager } from "./ColumnPager";
import { PageCell, cutLengths } from "./PageCell";
import { metricLabel } from "./metricsTable";

interface Props {
  runId: number;
  step: string;
  port: string;
  output: OutputInfo;
  title: string;
  onClose: () => void;
}

interface TablePage {
  columns: string[];
  rows: unknown[][];
  cut: Map<string, number | null>;
  total: number;
  offset: number;
  totalColumns: number;
  columnsOffset: number;
}

const PAGE = 50;

function ColumnStats({ columns }: { columns: ColumnSummary[] }) {
  return (
    <table className="data-table stats-table" data-testid="column-stats">
      <thead>
        <tr>
          <th>Column</th>
          <th>Type</th>
          <th>Missing</th>
          <th>Distinct</th>
          <th>Min</th>
          <th>Mean</th>
          <th>Max</th>
          <th>Distribution</th>
        </tr>
      </thead>
      <tbody>
        {columns.map((c) => (
          <tr key={c.name}>
            <td className="mono">{c.name}</td>
            <td className="muted">{c.dtype}</td>
            <td>{fmt(c.nulls)}</td>
            <td>{fmt(c.distinct)}</td>
            <td>{fmt(c.min)}</td>
            <td>{fmt(c.mean)}</td>
            <td>{fmt(c.max)}</td>
            <td>{c.histogram ? <Histogram counts={c.histogram.counts} edges={c.histogram.edges} /> : <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface CurveSet {
  roc?: { fpr: number[]; tpr: number[] };
  pr?: { precision: number[]; recall: number[] };
}

interface EvaluationResult {
  input?: string;
  learner?: string;
  label?: string;
  rows?: number;
  metrics?: Record<string, unknown>;
  confusion_matrix?: { labels: unknown[]; matrix: number[][] };
  curves?: Record<string, CurveSet>;
  predicted_vs_actual?: { actual: number[]; predicted: number[] };
  residuals?: { counts: number[]; edges: number[] };
  unavailable?: Record<string, string>; // a figure the model cannot give → why (one-vs-one: no probabilities)
}

/** "auc, log loss, curves: why", one line per reason. */
function unavailableLines(unavailable: Record<string, string>): string[] {
  const byReason = new Map<string, string[]>();
  for (const [name, why] of Object.entries(unavailable)) byReason.set(why, [...(byReason.get(why) ?? []), metricLabel(name)]);
  return [...byReason].map(([why, names]) => `Not available: ${names.join(", ")} — ${why}`);
}

/** Evaluate's output holds one result per scored input; any other JSON is shown as one result. */
function evaluationResults(values: Record<string, unknown>): EvaluationResult[] {
  if (Array.isArray(values.results)) return values.results as EvaluationResult[];
  const inner = values.metrics; // Evaluate's own metrics; a script's are the object itself
  const metrics = typeof inner === "object" && inner !== null && !Array.isArray(inner) ? inner : values;
  return [{ metrics: metrics as Record<string, unknown>, confusion_matrix: values.confusion_matrix as EvaluationResult["confusion_matrix"], curves: values.curves as EvaluationResult["curves"] }];
}

function resultName(r: EvaluationResult, i: number): string {
  return r.learner ?? r.input ?? `result ${i + 1}`;
}

function curveSeries(results: EvaluationResult[], pick: (c: CurveSet) => { x: number[]; y: number[] } | null) {
  const series: { name: string; x: number[]; y: number[] }[] = [];
  results.forEach((r, i) => {
    const curves = Object.entries(r.curves ?? {});
    for (const [cls, c] of curves) {
      const xy = pick(c);
      if (!xy) continue;
      const who = resultName(r, i);
      series.push({ name: curves.length > 1 ? `${who} · class ${cls}` : who, ...xy });
    }
  });
  return series;
}

export function MetricsView({ values }: { values: Record<string, unknown> }) {
  if (Object.keys(values).length === 0) return <p className="muted" data-testid="metrics-none">No metrics were reported.</p>;
  const results = evaluationResults(values);
  const roc = curveSeries(results, (c) => (c.roc ? { x: c.roc.fpr, y: c.roc.tpr } : null));
  const pr = curveSeries(results, (c) => (c.pr ? { x: c.pr.recall, y: c.pr.precision } : null));
  const scatter = results.flatMap((r, i) => (r.predicted_vs_actual ? [{ name: resultName(r, i), x: r.predicted_vs_actual.actual, y: r.predicted_vs_actual.predicted }] : []));
  return (
    <div className="metrics-view" data-testid="metrics-view">
      {results.map((r, i) => (
        <div key={i} className="metric-result">
          {(r.learner || r.input) && (
            <div className="metric-result-head">
              <strong>{r.learner ?? "Model"}</strong>
              <span className="muted small">
                {r.input ? ` on ${r.input}` : ""}
                {r.label ? ` · label ${r.label}` : ""}
                {r.rows !== undefined ? ` · ${fmt(r.rows)} rows` : ""}
              </span>
            </div>
          )}
          <div className="metric-cards">
            {Object.entries(r.metrics ?? {})
              .filter(([, v]) => typeof v === "number" || v === null)
              .map(([k, v]) => (
                <div key={k} className="metric-card" data-testid={i === 0 ? `metric-${k}` : `metric-${k}-${i}`}>
                  <div className="metric-name">{metricLabel(k)}</div>
                  <div className="metric-value">{fmt(v)}</div>
                </div>
              ))}
          </div>
          {r.unavailable &&
            unavailableLines(r.unavailable).map((line) => (
              <p key={line} className="muted small" data-testid="metrics-unavailable">
                {line}
              </p>
            ))}
        </div>
      ))}
      <div className="charts">
        {roc.length > 0 && <CurveChart testId="roc-curve" title="ROC curve" xLabel="false positive rate" yLabel="true positive rate" diagonal series={roc} />}
        {pr.length > 0 && <CurveChart testId="pr-curve" title="Precision–recall curve" xLabel="recall" yLabel="precision" series={pr} />}
        {scatter.length > 0 && <ScatterChart testId="predicted-vs-actual" title="Predicted against actual" xLabel="actual" yLabel="predicted" series={scatter} />}
        {results.map(
          (r, i) =>
            r.residuals && (
              <figure key={`residuals-${i}`} className="chart" data-testid="residuals">
                <figcaption>{results.length > 1 ? `Residuals · ${resultName(r, i)}` : "Residuals (actual − predicted)"}</figcaption>
                <Histogram counts={r.residuals.counts} edges={r.residuals.edges} width={220} height={120} />
                <div className="muted small">
                  {fmt(r.residuals.edges[0])} to {fmt(r.residuals.edges[r.residuals.edges.length - 1])}
                </div>
              </figure>
            ),
        )}
        {results.map((r, i) => r.confusion_matrix && <ConfusionMatrix key={i} title={results.length > 1 ? `Confusion matrix · ${r.learner ?? r.input}` : "Confusion matrix"} labels={r.confusion_matrix.labels} matrix={r.confusion_matrix.matrix} />)}
      </div>
    </div>
  );
}

/** A JSON output's value as the metrics view reads it (an object), or null for other JSON. */
function asObject(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** A pickled object (model, transform): its type, parameters and representation. */
function ObjectSummary({ summary }: { summary: ObjectSummaryData }) {
  const params = summary.params ?? {};
  return (
    <div className="object-summary" data-testid="object-summary">
      <p className="mono">{summary.type}</p>
      {Object.keys(params).length > 0 && (
        <table className="data-table list-table">
          <tbody>
            {Object.entries(params).map(([k, v]) => (
              <tr key={k}>
                <td className="mono">{k}</td>
                <td>{fmt(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <pre className="repr">{summary.repr}</pre>
    </div>
  );
}

export function OutputPreview({ runId, step, port, output, title, onClose }: Props) {
  const [page, setPage] = useState<TablePage | null>(null);
  const [offset, setOffset] = useState(0);
  const [columnsOffset, setColumnsOffset] = useState(0);
  const [value, setValue] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<"rows" | "stats">("stats");
  // a whole square matrix on the first page (Compute correlation) is shown as a heatmap instead of column stats
  const whole = page && page.offset === 0 && page.rows.length === page.total && page.columns.length === page.totalColumns;
  const matrix = page && whole ? squareMatrix(page.columns, page.rows) : null;
  const summary = output.summary;
  const table = "columns" in summary ? summary : null;
  const isTable = table !== null;
  const isJson = output.kind === "json";
  const base = `/api/runs/${runId}/steps/${encodeURIComponent(step)}/outputs/${encodeURIComponent(port)}`;

  useEffect(() => {
    const ctrl = new AbortController();
    setError(null);
    api
      .get<OutputPreviewData>(`${base}/preview/?offset=${offset}&limit=${PAGE}&columns_offset=${columnsOffset}`, ctrl.signal)
      .then((data) => {
        const t = data.table;
        if (t) setPage({ columns: t.columns, rows: t.rows, cut: cutLengths(t.cut), total: t.total_rows, offset, totalColumns: t.total_columns, columnsOffset });
        else if (data.kind === "json") setValue(asObject(data.value) ?? { value: data.value });
      })
      .catch((err) => {
        if ((err as Error).name !== "AbortError") setError(errorMessage(err));
      });
    return () => ctrl.abort();
  }, [base, offset, columnsOffset]);

  const drawn = "figures" in summary;
  const figures = figuresOf(value);
  const metricValues = drawn ? null : (value ?? ("values" in summary ? asObject(summary.values) : null));
  return (
    <section className="preview" data-testid="output-preview" aria-label={`Output ${port} of ${title}`}>
      <header className="panel-header">
        <h3>
          {title} · <span className="mono">{port}</span>
          <span className="muted small" title={`${fmt(output.size)} bytes`}> {output.kind} · {bytes(output.size)}</span>
        </h3>
        <div className="panel-actions">
          {isTable && (
            <div className="segmented" role="tablist">
              <button role="tab" aria-selected={tab === "stats"} onClick={() => setTab("stats")} data-testid="preview-stats-tab">
                {matrix ? "Matrix" : "Columns"}
              </button>
              <button role="tab" aria-selected={tab === "rows"} onClick={() => setTab("rows")} data-testid="preview-rows-tab">Rows</button>
            </div>
          )}
          {downloads(runId, step, port, output).map((d) => (
            <a key={d.label} className="button" href={d.href} download data-testid={d.testId}>
              {d.label}
            </a>
          ))}
          <button className="icon-button" aria-label="Close preview" onClick={onClose}>×</button>
        </div>
      </header>
      <div className="preview-body" tabIndex={0} role="region" aria-label="Preview contents">
        {error && <div className="callout callout-error">{error}</div>}
        {table && tab === "stats" && matrix && <MatrixView matrix={matrix} />}
        {table && tab === "stats" && !matrix && (
          <>
            <p className="muted small" data-testid="table-shape">
              {fmt(table.rows)} rows × {fmt(table.column_count)} columns
              {table.columns.length < table.column_count && ` · statistics of the first ${fmt(table.columns.length)}`}
            </p>
            <ColumnStats columns={table.columns} />
          </>
        )}
        {isTable && tab === "rows" && page && (
          <>
            <ColumnPager first={page.columnsOffset} shown={page.columns.length} total={page.totalColumns} onMove={setColumnsOffset} />
            <div className="table-scroll">
              <table className="data-table" data-testid="preview-table">
                <thead>
                  <tr>
                    <th className="muted">#</th>
                    {page.columns.map((c) => <th key={c}>{c}</th>)}
                  </tr>
                </thead>
                <tbody>
                  {page.rows.map((r, i) => (
                    <tr key={i}>
                      <td className="muted">{offset + i + 1}</td>
                      {r.map((v, j) => (
                        <PageCell key={j} value={v} length={page.cut.get(`${i}:${j}`)} />
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div className="pager">
              <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>‹ Previous</button>
              <span className="muted small">
                rows {offset + 1}–{offset + page.rows.length}
                {` of ${fmt(page.total)}`}
              </span>
              {/* a page of long texts may hold fewer rows than asked: the next starts after its last */}
              <button disabled={offset + page.rows.length >= page.total} onClick={() => setOffset(offset + page.rows.length)}>Next ›</button>
            </div>
          </>
        )}
        {isJson && metricValues && <MetricsView values={metricValues} />}
        {figures && <FiguresView figures={figures} />}
        {isJson && !metricValues && !figures && !error && <p className="muted">Loading…</p>}
        {"repr" in summary && <ObjectSummary summary={summary} />}
      </div>
    </section>
  );
}
