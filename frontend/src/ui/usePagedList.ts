// A list the API pages ({count, results}): the first page matching a search, further pages on demand.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorMessage } from "../api/client";

export const PAGE_SIZE = 50;

interface Page<T> {
  count: number;
  results: T[];
}

export interface PagedList<T> {
  /** What is loaded so far (null until the first page came). */
  items: T[] | null;
  /** How many match in all. */
  count: number;
  error: string | null;
  loadMore: () => void;
  /** Read again as many as are shown (after an action changed the list). */
  reload: () => void;
  /** Change the loaded items in place (a live update the server also made). */
  update: (change: (items: T[]) => T[]) => void;
}

function pageUrl(path: string, search: string, limit: number, offset: number): string {
  const query = new URLSearchParams({ limit: String(limit), offset: String(offset) });
  if (search.trim()) query.set("q", search.trim());
  return `${path}${path.includes("?") ? "&" : "?"}${query}`;
}

/** `keyOf` names an item: a page read after new items came in at the top repeats some, kept once. */
export function usePagedList<T>(path: string, search: string, keyOf: (item: T) => string | number): PagedList<T> {
  const [items, setItems] = useState<T[] | null>(null);
  const [count, setCount] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const shown = useRef(PAGE_SIZE);
  const asked = useRef(0); // the newest request: an older answer arriving late is dropped
  const key = useRef(keyOf);
  key.current = keyOf;

  const fetchPage = useCallback(
    (limit: number, offset: number, keep: T[]) => {
      const id = ++asked.current;
      api
        .get<Page<T>>(pageUrl(path, search, limit, offset))
        .then((page) => {
          if (id !== asked.current) return;
          const seen = new Set(keep.map(key.current));
          setItems([...keep, ...page.results.filter((item) => !seen.has(key.current(item)))]);
          setCount(page.count);
          setError(null);
        })
        .catch((err) => id === asked.current && setError(errorMessage(err)));
    },
    [path, search],
  );

  useEffect(() => {
    shown.current = PAGE_SIZE; // a new search starts from one page
  }, [path, search]);
  useEffect(() => {
    const timer = window.setTimeout(() => fetchPage(Math.max(PAGE_SIZE, shown.current), 0, []), search ? 200 : 0);
    return () => window.clearTimeout(timer);
  }, [fetchPage, search, reloads]);

  const loadMore = useCallback(() => {
    const loaded = items ?? [];
    shown.current = loaded.length + PAGE_SIZE;
    fetchPage(PAGE_SIZE, loaded.length, loaded);
  }, [fetchPage, items]);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  const update = useCallback((change: (items: T[]) => T[]) => setItems((was) => (was === null ? was : change(was))), []);
  return { items, count, error, loadMore, reload, update };
}
