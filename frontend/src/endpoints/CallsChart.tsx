// Calls and failed calls per time bucket, as stacked bars (SVG, no chart library needed).
import type { StatsPoint } from "./types";

const HEIGHT = 120;

export type Bucket = "minute" | "15 minutes" | "hour" | "day";

export function CallsChart({ points, bucket }: { points: StatsPoint[]; bucket: Bucket }) {
  const most = Math.max(0, ...points.map((p) => p.calls));
  const top = Math.max(1, most);
  const width = 14;
  const label = (p: StatsPoint) => {
    const d = new Date(p.start);
    return bucket === "day" ? d.toLocaleDateString() : d.toLocaleString();
  };
  return (
    <figure className="calls-chart" data-testid="calls-chart">
      <svg width={points.length * width} height={HEIGHT + 4} role="img" aria-label={`Calls and failures per ${bucket}`}>
        {points.map((p, i) => {
          const ok = ((p.calls - p.failures) / top) * HEIGHT;
          const bad = (p.failures / top) * HEIGHT;
          return (
            <g key={p.start} transform={`translate(${i * width}, 0)`}>
              <title>{`${label(p)}: ${p.calls} calls, ${p.failures} failed`}</title>
              <rect x={1} y={HEIGHT - ok - bad} width={width - 2} height={ok} className="bar-ok" />
              <rect x={1} y={HEIGHT - bad} width={width - 2} height={bad} className="bar-failed" />
              <rect x={0} y={0} width={width} height={HEIGHT} fill="transparent" />
            </g>
          );
        })}
        <line x1={0} x2={points.length * width} y1={HEIGHT + 0.5} y2={HEIGHT + 0.5} className="chart-axis" />
      </svg>
      <figcaption className="muted small">
        {most === 0 ? "No calls yet" : `At most ${most} call${most === 1 ? "" : "s"} per ${bucket}`}; <span className="legend-ok">■</span> succeeded or running, <span className="legend-failed">■</span> failed
      </figcaption>
    </figure>
  );
}
