// Plain SVG charts: a histogram, line curves (ROC / PR), a predicted-against-actual scatter and a confusion matrix.
import { memo } from "react";

export const Histogram = memo(function Histogram({ counts, edges, width = 120, height = 36 }: { counts: number[]; edges?: number[]; width?: number; height?: number }) {
  const max = Math.max(1, ...counts);
  const w = width / Math.max(1, counts.length);
  return (
    <svg className="histogram" width={width} height={height} role="img" aria-label="histogram">
      {counts.map((c, i) => {
        const h = (c / max) * (height - 2);
        const label = edges && edges.length > i + 1 ? `${fmt(edges[i])} – ${fmt(edges[i + 1])}: ${c}` : String(c);
        return (
          <rect key={i} x={i * w + 0.5} y={height - h} width={Math.max(1, w - 1)} height={h} className="histogram-bar">
            <title>{label}</title>
          </rect>
        );
      })}
    </svg>
  );
});

export function fmt(v: unknown): string {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return v.toLocaleString();
    const a = Math.abs(v);
    return a !== 0 && (a < 0.001 || a >= 1e6) ? v.toExponential(2) : v.toFixed(a < 1 ? 4 : 2).replace(/\.?0+$/, "");
  }
  if (v === null || v === undefined) return "—";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

const SERIES_COLORS = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#db2777", "#0891b2"];

interface Series {
  name: string;
  x: number[];
  y: number[];
}

export function CurveChart({ title, xLabel, yLabel, series, diagonal, testId }: { title: string; xLabel: string; yLabel: string; series: Series[]; diagonal?: boolean; testId?: string }) {
  const size = 220;
  const pad = 32;
  const inner = size - pad - 8;
  const px = (x: number) => pad + x * inner;
  const py = (y: number) => 8 + (1 - y) * inner;
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <svg width={size} height={size + 16} role="img" aria-label={title}>
        <rect x={pad} y={8} width={inner} height={inner} className="chart-frame" />
        {[0, 0.25, 0.5, 0.75, 1].map((t) => (
          <g key={t}>
            <line x1={px(t)} x2={px(t)} y1={8} y2={8 + inner} className="chart-grid" />
            <line x1={pad} x2={pad + inner} y1={py(t)} y2={py(t)} className="chart-grid" />
            <text x={px(t)} y={size - 10} className="chart-tick" textAnchor="middle">{t}</text>
            <text x={pad - 4} y={py(t) + 3} className="chart-tick" textAnchor="end">{t}</text>
          </g>
        ))}
        {diagonal && <line x1={px(0)} y1={py(0)} x2={px(1)} y2={py(1)} className="chart-diagonal" />}
        {series.map((s, i) => (
          <polyline
            key={s.name}
            fill="none"
            stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
            strokeWidth={2}
            points={s.x.map((x, k) => `${px(x).toFixed(1)},${py(s.y[k]).toFixed(1)}`).join(" ")}
          >
            <title>{s.name}</title>
          </polyline>
        ))}
        <text x={pad + inner / 2} y={size + 12} className="chart-axis" textAnchor="middle">{xLabel}</text>
        <text x={10} y={8 + inner / 2} className="chart-axis" textAnchor="middle" transform={`rotate(-90 10 ${8 + inner / 2})`}>{yLabel}</text>
      </svg>
      <Legend names={series.map((s) => s.name)} />
    </figure>
  );
}

/** Points of each series on axes fitted to all of them, with the line where y equals x. */
export function ScatterChart({ title, xLabel, yLabel, series, testId }: { title: string; xLabel: string; yLabel: string; series: Series[]; testId?: string }) {
  const size = 220;
  const pad = 52; // room for ticks such as 1,234.5 beside the axis title
  const inner = size - pad - 8;
  const all = series.flatMap((s) => [...s.x, ...s.y]).filter((v) => Number.isFinite(v));
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi > lo ? hi - lo : 1;
  const px = (x: number) => pad + ((x - lo) / span) * inner;
  const py = (y: number) => 8 + (1 - (y - lo) / span) * inner;
  const ticks = [0, 0.5, 1].map((t) => lo + t * span);
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <svg width={size} height={size + 16} role="img" aria-label={title}>
        <rect x={pad} y={8} width={inner} height={inner} className="chart-frame" />
        {ticks.map((t) => (
          <g key={t}>
            <text x={px(t)} y={size - 10} className="chart-tick" textAnchor="middle">{fmt(t)}</text>
            <text x={pad - 4} y={py(t) + 3} className="chart-tick" textAnchor="end">{fmt(t)}</text>
          </g>
        ))}
        <line x1={px(lo)} y1={py(lo)} x2={px(hi)} y2={py(hi)} className="chart-diagonal" />
        {series.map((s, i) => (
          <g key={s.name} fill={SERIES_COLORS[i % SERIES_COLORS.length]} fillOpacity={0.45}>
            <title>{s.name}</title>
            {s.x.map((x, k) => (Number.isFinite(x) && Number.isFinite(s.y[k]) ? <circle key={k} cx={px(x).toFixed(1)} cy={py(s.y[k]).toFixed(1)} r={2} /> : null))}
          </g>
        ))}
        <text x={pad + inner / 2} y={size + 12} className="chart-axis" textAnchor="middle">{xLabel}</text>
        <text x={10} y={8 + inner / 2} className="chart-axis" textAnchor="middle" transform={`rotate(-90 10 ${8 + inner / 2})`}>{yLabel}</text>
      </svg>
      <Legend names={series.map((s) => s.name)} />
    </figure>
  );
}

function Legend({ names }: { names: string[] }) {
  if (names.length < 2) return null;
  return (
    <div className="chart-legend">
      {names.map((name, i) => (
        <span key={name}><i style={{ background: SERIES_COLORS[i % SERIES_COLORS.length] }} /> {name}</span>
      ))}
    </div>
  );
}

export function ConfusionMatrix({ title, labels, matrix }: { title: string; labels: unknown[]; matrix: number[][] }) {
  const max = Math.max(1, ...matrix.flat());
  return (
    <figure className="chart" data-testid="confusion-matrix">
      <figcaption>{title}</figcaption>
      <table className="confusion">
        <thead>
          <tr>
            <th className="muted small">actual ↓ predicted →</th>
            {labels.map((l, i) => <th key={i}>{fmt(l)}</th>)}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => (
            <tr key={i}>
              <th>{fmt(labels[i])}</th>
              {row.map((v, j) => (
                <td key={j} style={{ background: `rgba(37, 99, 235, ${(0.08 + 0.8 * (v / max)).toFixed(2)})`, color: v / max > 0.55 ? "white" : undefined }}>
                  {v}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
