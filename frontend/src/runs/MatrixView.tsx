// A correlation-style matrix (a "Feature" column, then one column per feature, in the same order) drawn as a heatmap.
import { fmt } from "./charts";

export interface SquareMatrix {
  labels: string[];
  values: (number | null)[][];
}

/** The table as a square matrix of numbers in [-1, 1] (Compute correlation's output), or null for any other table. */
export function squareMatrix(columns: string[], rows: unknown[][]): SquareMatrix | null {
  const labels = columns.slice(1);
  if (columns[0] !== "Feature" || labels.length < 2 || rows.length !== labels.length) return null;
  if (rows.some((r, i) => r[0] !== labels[i])) return null;
  const values = rows.map((r) => r.slice(1).map((v) => (typeof v === "number" ? v : null)));
  const inRange = values.every((r) => r.every((v) => v === null || (v >= -1 - 1e-9 && v <= 1 + 1e-9)));
  return inRange ? { labels, values } : null;
}

/** Red for +1, white for 0, blue for -1. */
function shade(v: number | null): { background?: string; color?: string } {
  if (v === null) return {};
  const strength = Math.min(1, Math.abs(v));
  const rgb = v >= 0 ? "220, 38, 38" : "37, 99, 235";
  return { background: `rgba(${rgb}, ${(0.85 * strength).toFixed(2)})`, color: strength > 0.6 ? "white" : undefined };
}

export function MatrixView({ matrix }: { matrix: SquareMatrix }) {
  return (
    <figure className="chart" data-testid="matrix-view">
      <figcaption>
        Correlations <span className="muted small">· blue −1, white 0, red +1</span>
      </figcaption>
      <div className="table-scroll">
        <table className="confusion heatmap">
          <thead>
            <tr>
              <td />
              {matrix.labels.map((l) => (
                <th key={l} className="heatmap-column" title={l}>
                  <span>{l}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {matrix.values.map((row, i) => (
              <tr key={matrix.labels[i]}>
                <th title={matrix.labels[i]}>{matrix.labels[i]}</th>
                {row.map((v, j) => (
                  <td key={j} style={shade(v)} title={`${matrix.labels[i]} × ${matrix.labels[j]}: ${v === null ? "missing" : fmt(v)}`}>
                    {v === null ? "–" : v.toFixed(2)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
