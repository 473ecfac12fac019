// A small client-side router over the History API: the server serves the same page for every route.
import { useEffect, useState } from "react";

export type Route =
  | { page: "workspaces" }
  | { page: "workspace"; workspace: number }
  | { page: "datasets"; workspace: number }
  | { page: "endpoints"; workspace: number }
  | { page: "workspace_runs"; workspace: number }
  | { page: "activity"; workspace: number }
  | { page: "endpoint"; endpoint: number }
  | { page: "editor"; graph: number }
  | { page: "runs"; graph: number }
  | { page: "run"; run: number }
  | { page: "compare"; run: number; other: number }
  | { page: "tokens" }
  | { page: "not_found" };

export function parseRoute(pathname: string): Route {
  const parts = pathname.split("/").filter(Boolean);
  const id = Number(parts[1]);
  if (parts.length === 0) return { page: "workspaces" };
  if (parts[0] === "tokens" && parts.length === 1) return { page: "tokens" };
  if (parts[0] === "workspaces" && Number.isInteger(id)) {
    if (parts.length === 2) return { page: "workspace", workspace: id };
    if (parts[2] === "datasets") return { page: "datasets", workspace: id };
    if (parts[2] === "endpoints") return { page: "endpoints", workspace: id };
    if (parts[2] === "runs") return { page: "workspace_runs", workspace: id };
    if (parts[2] === "activity") return { page: "activity", workspace: id };
  }
  if (parts[0] === "endpoints" && Number.isInteger(id) && parts.length === 2) return { page: "endpoint", endpoint: id };
  if (parts[0] === "graphs" && Number.isInteger(id)) {
    if (parts.length === 2) return { page: "editor", graph: id };
    if (parts[2] === "runs") return { page: "runs", graph: id };
  }
  if (parts[0] === "runs" && Number.isInteger(id)) {
    if (parts.length === 2) return { page: "run", run: id };
    const other = Number(parts[3]);
    if (parts[2] === "compare" && Number.isInteger(other)) return { page: "compare", run: id, other };
  }
  return { page: "not_found" };
}

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  if (path === window.location.pathname + window.location.search) return;
  window.history.pushState(null, "", path);
  for (const l of listeners) l();
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return route;
}

/** Props for an <a> that navigates in-app on plain clicks and stays a real link otherwise. */
export function linkProps(path: string): { href: string; onClick: (e: React.MouseEvent) => void } {
  return {
    href: path,
    onClick: (e) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(path);
    },
  };
}
