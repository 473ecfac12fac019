// Under a paged list: how many of how many are shown, and a button for the next page.
import type { PagedList } from "./usePagedList";

export function ListFooter<T>({ list, noun }: { list: PagedList<T>; noun: string }) {
  const shown = list.items?.length ?? 0;
  if (shown >= list.count) return null;
  return (
    <p className="muted small list-footer" data-testid="list-footer">
      Showing {shown.toLocaleString()} of {list.count.toLocaleString()} {noun}.{" "}
      <button type="button" className="small" onClick={list.loadMore} data-testid="show-more">Show more</button>
    </p>
  );
}
