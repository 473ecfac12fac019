// A cell of a table page: its value, and where the server cut a long text, a marker naming its whole length.
import type { CutCell } from "../api/types";
import { fmt } from "./charts";

/** The whole length of each cell a page cut, by "row:column" (row in the page). */
export function cutLengths(cut: CutCell[]): Map<string, number> {
  return new Map(cut.map((c) => [`${c.row}:${c.column}`, c.length]));
}

/** One cell of a page; `length` is the whole length of a cell the server cut. */
export function PageCell({ value, length }: { value: unknown; length?: number }) {
  return (
    <td>
      {fmt(value)}
      {length !== undefined && (
        <span className="cell-cut" title="Cut in the preview: download the table as CSV for the whole text" data-testid="cell-cut">
          … {length.toLocaleString()} characters in all
        </span>
      )}
    </td>
  );
}
