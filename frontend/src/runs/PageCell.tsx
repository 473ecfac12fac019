// A cell of a table page: its value (a long one on one line until opened), and where the server cut it, a marker naming its whole length when known.
import { useState } from "react";
import type { CutCell } from "../api/types";
import { fmt } from "./charts";

/** A cell whose text is longer than this shows one line of it until it is opened. */
export const LONG_CELL_CHARS = 80;

/** The whole length of each cell a page cut (null: a list, struct or map, not counted), by "row:column". */
export function cutLengths(cut: CutCell[]): Map<string, number | null> {
  return new Map(cut.map((c) => [`${c.row}:${c.column}`, c.length]));
}

/** One cell of a page; `length` is the whole length of a cell the server cut (null: not counted). */
export function PageCell({ value, length }: { value: unknown; length?: number | null }) {
  const [open, setOpen] = useState(false);
  const text = fmt(value);
  const marker = length !== undefined && (
    <span className="cell-cut" title="Cut in the preview: download the table as CSV for the whole value" data-testid="cell-cut">
      {length === null ? " … cut" : `… ${length.toLocaleString()} characters in all`}
    </span>
  );
  if (text.length <= LONG_CELL_CHARS) {
    return (
      <td>
        {text}
        {marker}
      </td>
    );
  }
  return (
    <td className={open ? "cell-long cell-open" : "cell-long"}>
      <button
        type="button"
        className="cell-text"
        aria-expanded={open}
        title={open ? "Show one line" : "Show all of this cell"}
        onClick={() => setOpen(!open)}
        data-testid="cell-long"
      >
        {text}
      </button>
      {marker}
    </td>
  );
}
