// Which of a wide table's columns a page shows (the server sends at most PAGE_COLUMNS), with buttons to the ones before and after.

/** Columns a table page holds at most (the server's MAX_COLUMNS). */
export const PAGE_COLUMNS = 100;

interface Props {
  first: number;
  shown: number;
  total: number;
  onMove: (first: number) => void;
}

/** Nothing when the page shows every column. */
export function ColumnPager({ first, shown, total, onMove }: Props) {
  if (first === 0 && shown >= total) return null;
  return (
    <div className="pager" data-testid="column-pager">
      <button disabled={first === 0} onClick={() => onMove(Math.max(0, first - PAGE_COLUMNS))} data-testid="columns-previous">
        ‹ Columns
      </button>
      <span className="muted small" data-testid="columns-shown">
        columns {(first + 1).toLocaleString()}–{(first + shown).toLocaleString()} of {total.toLocaleString()}
      </span>
      <button disabled={first + shown >= total} onClick={() => onMove(first + PAGE_COLUMNS)} data-testid="columns-next">
        Columns ›
      </button>
    </div>
  );
}
