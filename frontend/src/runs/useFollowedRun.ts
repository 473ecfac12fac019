// Follows the latest run of a graph live: its run socket, runs started elsewhere, a toast when it ends.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, items } from "../api/client";
import type { Run } from "../api/types";
import type { Push } from "../ui/toasts";
import { openWorkspaceSocket } from "./socket";
import type { RunView } from "./state";
import { useRunView } from "./useRunView";

export interface FollowedRun {
  runView: RunView | null;
  /** Watch this run from now on (one this page started or resumed). */
  follow: (runId: number) => void;
  /** The run socket is connected (false while it reconnects). */
  socketUp: boolean;
  /** The workspace socket is connected: runs started elsewhere will be noticed. */
  workspaceLive: boolean;
}

export function useFollowedRun(graphId: number, workspaceId: number, toast: Push): FollowedRun {
  const [runId, setRunId] = useState<number | null>(null);
  const { runView, socketUp } = useRunView(runId, toast);
  const [workspaceLive, setWorkspaceLive] = useState(false);
  const newer = useCallback((id: number) => setRunId((current) => (current === null || id > current ? id : current)), []);

  useEffect(() => {
    api
      .get<Run[] | { results: Run[] }>(`/api/graphs/${graphId}/runs/?limit=1`)
      .then((d) => {
        const latest = items(d)[0];
        if (latest) newer(latest.id);
      })
      .catch(() => undefined);
  }, [graphId, newer]);

  // Runs of this graph started elsewhere (another tab, a teammate, the API) are followed too.
  useEffect(() => {
    const known = new Set<number>();
    const socket = openWorkspaceSocket(workspaceId, {
      onConnection: setWorkspaceLive,
      onMessage: (msg) => {
        if (msg.type === "workspace.snapshot") {
          for (const r of msg.data.runs) known.add(r.id);
          return;
        }
        if (msg.type !== "run.status" || known.has(msg.run_id)) return;
        known.add(msg.run_id);
        api
          .get<Run>(`/api/runs/${msg.run_id}/`)
          .then((run) => run.graph === graphId && newer(run.id))
          .catch(() => undefined);
      },
    });
    return () => socket.close();
  }, [graphId, workspaceId, newer]);

  const previous = useRef<string | undefined>(undefined);
  useEffect(() => {
    const status = runView?.run.status;
    const done = runView?.finished;
    if (previous.current && previous.current !== status && runView && done) {
      const c = done.counts;
      const failed = c.failed ? `, ${c.failed} failed` : "";
      toast(`Run ${runView.run.id} ${done.status}: ${c.ran ?? 0} ran, ${c.reused ?? 0} reused${failed} (${done.duration.toFixed(1)} s)`, done.status === "succeeded" ? "success" : "error", "run-end");
    }
    previous.current = status;
  }, [runView, toast]);

  return { runView, follow: setRunId, socketUp, workspaceLive };
}
