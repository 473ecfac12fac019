// Starting, cancelling and resuming runs from the editor; each waits until the draft holds every edit.
// A run starts at once unless the graph has pipeline parameters to fill in, or options are asked for;
// an empty canvas starts none and says what to do first.
import { useCallback, useRef, useState } from "react";
import { ApiError, api, errorMessage } from "../api/client";
import type { Issue, Run, Sweep } from "../api/types";
import type { GraphStore } from "../graph/store";
import type { RunView } from "../runs/state";
import type { PlanBody } from "../runs/PlanTable";
import { labelledIssue } from "./issueText";
import type { RunRequest, SweepRequest } from "./RunDialog";

export type RunTarget = { from_node?: string; only_node?: string };

export interface RunControls {
  /** The run dialog's target while it is open ({} = the whole graph). */
  dialog: RunTarget | null;
  /** Run the target now, or open the dialog first when the graph has parameters or `options` is set. */
  request: (target: RunTarget, options: boolean) => void;
  closeDialog: () => void;
  starting: boolean;
  start: (request: RunRequest, target?: RunTarget) => Promise<void>;
  /** Start one run of the whole graph per combination of the values (the dialog's sweep). */
  sweep: (request: SweepRequest) => Promise<void>;
  /** What a run with these values would do now (the dialog's Preview run; nothing runs). */
  preview: (request: RunRequest) => Promise<PlanBody>;
  cancel: () => Promise<void>;
  resume: () => Promise<void>;
}

interface Options {
  graphId: number;
  store: GraphStore;
  runView: RunView | null;
  follow: (runId: number) => void;
  saved: () => Promise<void>;
  labels: ReadonlyMap<string, string>;
  toast: (text: string, kind?: "info" | "success" | "error") => void;
  /** A run started here (open the logs, refresh the versions). */
  onStarted: () => void;
  /** The server refused the run naming these issues (the dialog is closed). */
  onIssues: (issues: Issue[]) => void;
}

export function useRunControls({ graphId, store, runView, follow, saved, labels, toast, onStarted, onIssues }: Options): RunControls {
  const [dialog, setDialog] = useState<RunTarget | null>(null);
  const [starting, setStarting] = useState(false);
  const startingNow = useRef(false); // a second click before the first one's re-render starts nothing

  /** Post what starts runs (once at a time), follow the first; a refusal is told, its issues shown. */
  const launch = useCallback(
    async (post: () => Promise<Pick<Run, "id">[]>) => {
      if (startingNow.current) return;
      startingNow.current = true;
      setStarting(true);
      try {
        await saved();
        const started = await post();
        setDialog(null);
        follow(started[0].id);
        onStarted();
        if (started.length > 1) toast(`Started ${started.length} runs (runs ${started.map((r) => r.id).join(", ")}); compare them on Runs → Metrics.`, "success");
      } catch (err) {
        const issues = err instanceof ApiError ? err.issues : [];
        const text = issues.length > 0 ? issues.map((i) => labelledIssue(i, labels)).join(" · ") : errorMessage(err);
        toast(`Cannot run: ${text}`, "error");
        if (issues.length > 0) {
          setDialog(null);
          onIssues(issues);
        }
      } finally {
        startingNow.current = false;
        setStarting(false);
      }
    },
    [follow, labels, onIssues, onStarted, saved, toast],
  );

  const start = useCallback(
    (request: RunRequest, target?: RunTarget) => launch(async () => [await api.post<Run>(`/api/graphs/${graphId}/runs/`, { ...request, ...(target ?? dialog) })]),
    [dialog, graphId, launch],
  );

  const sweep = useCallback(
    (request: SweepRequest) => launch(async () => (await api.post<Sweep>(`/api/graphs/${graphId}/sweeps/`, request)).runs),
    [graphId, launch],
  );

  const preview = useCallback(
    async (request: RunRequest) => {
      await saved();
      return api.post<PlanBody>(`/api/graphs/${graphId}/plan/`, { ...request, ...dialog });
    },
    [dialog, graphId, saved],
  );

  const cancel = useCallback(async () => {
    if (!runView) return;
    try {
      await api.post(`/api/runs/${runView.run.id}/cancel/`);
    } catch (err) {
      toast(`Could not cancel: ${errorMessage(err)}`, "error");
    }
  }, [runView, toast]);

  const resume = useCallback(async () => {
    if (!runView) return;
    try {
      await saved();
      const params = Object.fromEntries(store.document.nodes.filter((n) => runView.steps.has(n.id)).map((n) => [n.id, n.params]));
      const run = await api.post<Run>(`/api/runs/${runView.run.id}/resume/`, { params });
      follow(run.id);
      onStarted();
    } catch (err) {
      toast(`Could not resume: ${errorMessage(err)}`, "error");
    }
  }, [follow, onStarted, runView, saved, store, toast]);

  const request = useCallback(
    (target: RunTarget, options: boolean) => {
      if (store.document.nodes.length === 0) toast("Nothing to run yet: drag a module from the palette onto the canvas first.", "info");
      else if (options || Object.keys(store.document.parameters).length > 0) setDialog(target);
      else void start({ parameters: {}, bypass_cache: false }, target);
    },
    [start, store, toast],
  );

  return { dialog, request, closeDialog: () => setDialog(null), starting, start, sweep, preview, cancel, resume };
}
