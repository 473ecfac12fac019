// A list of runs (status, version, who, when, how long, parameters), kept live from the workspace socket.
import { useEffect, useRef } from "react";
import type { Run } from "../api/types";
import { linkProps } from "../router";
import type { PagedList } from "../ui/usePagedList";
import { fmt } from "./charts";
import { openWorkspaceSocket } from "./socket";
import { StartedBy } from "./StartedBy";

function duration(r: Run): string {
  if (!r.started_at) return "—";
  const end = r.finished_at ? new Date(r.finished_at) : new Date();
  const s = (end.getTime() - new Date(r.started_at).getTime()) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A run's pipeline parameters as `name=value, …` (empty without any). */
export function parametersText(r: Pick<Run, "parameters">): string {
  return Object.entries(r.parameters ?? {})
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(", ");
}

/** Statuses change live; a finished run, one the list does not know yet, or any change to a list
 * filtered by status reloads it. */
export function useLiveRuns(workspace: number | undefined, list: PagedList<Run>, filtered: boolean): void {
  const { reload, update } = list;
  const items = useRef(list.items);
  items.current = list.items;
  useEffect(() => {
    if (workspace === undefined) return undefined;
    const socket = openWorkspaceSocket(workspace, {
      onMessage: (msg) => {
        if (msg.type !== "run.status" && msg.type !== "run.finished") return;
        if (filtered || msg.type === "run.finished" || !(items.current ?? []).some((r) => r.id === msg.run_id)) {
          reload(); // server times for the duration, a run new to the list, or one that left it
          return;
        }
        const status = msg.data.status;
        update((shown) => shown.map((r) => (r.id === msg.run_id ? { ...r, status } : r)));
      },
    });
    return () => socket.close();
  }, [workspace, filtered, reload, update]);
}

interface Props {
  runs: Run[];
  /** Show each run's pipeline (a list of several pipelines' runs). */
  pipeline?: boolean;
  /** Tick boxes to pick runs (to compare two of one pipeline). */
  picked?: number[];
  onPick?: (id: number) => void;
}

export function RunTable({ runs, pipeline = false, picked, onPick }: Props) {
  return (
    <table className="data-table list-table" data-testid="run-list">
      <thead>
        <tr>
          {onPick && <th><span className="sr-only">Compare</span></th>}
          <th>Run</th>
          {pipeline && <th>Pipeline</th>}
          <th>Status</th>
          <th>Version</th>
          <th>Started by</th>
          <th>Started</th>
          <th>Duration</th>
          <th>Parameters</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id} data-testid={`run-row-${r.id}`}>
            {onPick && (
              <td>
                <input type="checkbox" checked={picked?.includes(r.id) ?? false} onChange={() => onPick(r.id)} aria-label={`Compare run ${r.id}`} />
              </td>
            )}
            <td>
              <a {...linkProps(`/runs/${r.id}/`)} data-testid={`open-run-${r.id}`}>#{r.id}</a>
              {r.pinned ? <span className="muted small"> · pinned</span> : null}
            </td>
            {pipeline && (
              <td>
                <a {...linkProps(`/graphs/${r.graph}/runs/`)} data-testid="run-pipeline">{r.graph_name}</a>
              </td>
            )}
            <td><span className={`status-pill pill-${r.status}`}>{r.status}</span></td>
            <td>v{r.version}</td>
            <td className="wrap"><StartedBy run={r} /></td>
            <td className="muted small">{new Date(r.created_at).toLocaleString()}</td>
            <td>{duration(r)}</td>
            <td className="mono small wrap">{parametersText(r) || <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
