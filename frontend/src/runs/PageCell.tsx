// A cell of a table page: its value, and where the server cut it, a marker naming its whole length when known.
import type { CutCell } from "../api/types";
import { fmt } from "./charts";

/** The whole length of each cell a page cut (null: a list, struct or map, not counted), by "row:column". */
export function cutLengths(cut: CutCell[]): Map<string, number | null> {
  return new Map(cut.map((c) => [`${c.row}:${c.column}`, c.length]));
}

/** One cell of a page; `length` is the whole length of a cell the server cut (null: not counted). */
export function PageCell({ value, length }: { value: unknown; length?: number | null }) {
  return (
    <td>
      {fmt(value)}
      {length !== undefined && (
        <span className="cell-cut" title="Cut in the preview: download the table as CSV for the whole value" data-testid="cell-cut">
          {length === null ? " … cut" : `… ${length.toLocaleString()} characters in all`}
        </span>
      )}
    </td>
  );
}
