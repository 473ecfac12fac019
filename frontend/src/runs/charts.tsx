// Plain SVG charts: a histogram, line curves (ROC / PR), a predicted-against-actual scatter, a
// metric against a parameter and a confusion matrix.
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

/** Where `v` falls between lo and hi (0–1), on a log scale when `log`. */
function position(v: number, lo: number, hi: number, log: boolean): number {
  const [a, b, x] = log ? [Math.log10(lo), Math.log10(hi), Math.log10(v)] : [lo, hi, v];
  return b > a ? (x - a) / (b - a) : 0.5;
}

/** A metric against a parameter's values, joined in the parameter's order: the parameter on a log
 * scale when its values are positive and span a hundredfold or more (as swept C or alpha do). */
export function ParameterChart({ title, xLabel, yLabel, x, y, testId }: { title: string; xLabel: string; yLabel: string; x: number[]; y: number[]; testId?: string }) {
  const width = 320;
  const height = 200;
  const pad = { left: 52, right: 12, top: 8, bottom: 30 };
  const points = x.map((v, i) => [v, y[i]] as const).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)).sort((p, q) => p[0] - q[0]);
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [xlo, xhi, ylo, yhi] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const log = xlo > 0 && xhi / xlo >= 100;
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const px = (v: number) => pad.left + position(v, xlo, xhi, log) * w;
  const py = (v: number) => pad.top + (1 - position(v, ylo, yhi, false)) * h;
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <svg width={width} height={height} role="img" aria-label={title}>
        <rect x={pad.left} y={pad.top} width={w} height={h} className="chart-frame" />
        {[...new Set(xs)].map((v) => (
          <text key={`x${v}`} x={px(v)} y={pad.top + h + 12} className="chart-tick" textAnchor="middle">{fmt(v)}</text>
        ))}
        {[ylo, (ylo + yhi) / 2, yhi].map((v, i) => (
          <text key={`y${i}`} x={pad.left - 4} y={py(v) + 3} className="chart-tick" textAnchor="end">{fmt(v)}</text>
        ))}
        <polyline fill="none" stroke={SERIES_COLORS[0]} strokeWidth={2} points={points.map(([a, b]) => `${px(a).toFixed(1)},${py(b).toFixed(1)}`).join(" ")} />
        {points.map(([a, b], i) => (
          <circle key={i} cx={px(a).toFixed(1)} cy={py(b).toFixed(1)} r={3} fill={SERIES_COLORS[0]}>
            <title>{`${xLabel} = ${fmt(a)}: ${yLabel} ${fmt(b)}`}</title>
          </circle>
        ))}
        <text x={pad.left + w / 2} y={height - 4} className="chart-axis" textAnchor="middle">{log ? `${xLabel} (log scale)` : xLabel}</text>
        <text x={10} y={pad.top + h / 2} className="chart-axis" textAnchor="middle" transform={`rotate(-90 10 ${pad.top + h / 2})`}>{yLabel}</text>
      </svg>
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
