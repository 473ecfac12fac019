// Run state on the client: a pure reducer over the WebSocket messages (snapshot, then events by seq),
// and log pages read from the API, placed by line number so a line told twice lands once.
import type { OutputInfo, RunStatus, StepState } from "../api/types";
import type { AttemptInfo, RunInfo, ServerMessage } from "../protocol.gen";

export interface LogLine {
  step: string;
  attempt: number;
  stream: string;
  text: string;
}

/** One attempt's log lines at their numbers in its whole log (a hole: not received yet). */
export interface AttemptLog {
  step: string;
  attempt: number;
  lines: (LogLine | undefined)[];
}

export interface RunView {
  run: RunInfo;
  seq: number;
  steps: Map<string, StepState>;
  /** Log lines by "step#attempt", in the order the attempts were first heard of. */
  logParts: Map<string, AttemptLog>;
  /** Every line received so far, attempt by attempt (what the logs panel shows). */
  logs: LogLine[];
  finished: { status: RunStatus; counts: Record<string, number>; duration: number } | null;
}

function blankStep(key: string): StepState {
  return { key, module: "", status: "pending", attempts: 0, reason: "", progress: null, outputs: {}, error: "", started_at: null, finished_at: null, history: [] };
}

function withStep(view: RunView, key: string, f: (s: StepState) => StepState): Map<string, StepState> {
  const steps = new Map(view.steps);
  steps.set(key, f(view.steps.get(key) ?? blankStep(key)));
  return steps;
}

function flatten(parts: Map<string, AttemptLog>): LogLine[] {
  const out: LogLine[] = [];
  for (const part of parts.values()) for (const line of part.lines) if (line) out.push(line);
  return out;
}

/** Place lines of one step attempt from line `offset` (null: after what is there). */
export function placeLogLines(
  view: RunView,
  step: string,
  attempt: number,
  offset: number | null,
  lines: { stream: string; text: string }[],
): RunView {
  if (lines.length === 0) return view;
  const key = `${step}#${attempt}`;
  const parts = new Map(view.logParts);
  const known = parts.get(key)?.lines ?? [];
  const placed = known.slice();
  const start = offset ?? placed.length;
  lines.forEach((l, i) => {
    placed[start + i] = { step, attempt, stream: l.stream, text: l.text };
  });
  parts.set(key, { step, attempt, lines: placed });
  return { ...view, logParts: parts, logs: flatten(parts) };
}

/** A step's attempts after a status change (retrying: the named attempt failed). */
function withAttempt(history: AttemptInfo[], status: string, attempt: number, error: string): AttemptInfo[] {
  const now = new Date().toISOString();
  const set = (list: AttemptInfo[], n: number, change: Partial<AttemptInfo>): AttemptInfo[] => {
    if (n < 1) return list;
    const found = list.find((a) => a.attempt === n);
    const base: AttemptInfo = found ?? { attempt: n, status: "queued", started_at: null, finished_at: null, error: "", lines: 0 };
    const next = { ...base, ...change };
    return [...list.filter((a) => a.attempt !== n), next].sort((a, b) => a.attempt - b.attempt);
  };
  switch (status) {
    case "queued":
      return set(history, attempt, { status });
    case "running":
      return set(history, attempt, { status, started_at: now });
    case "retrying": // the message names the attempt that failed
      return set(history, attempt, { status: "failed", error, finished_at: now });
    case "succeeded":
    case "failed":
    case "canceled":
      return set(history, attempt, { status, error, finished_at: now });
    default:
      return history;
  }
}

const ENDED = new Set(["succeeded", "failed", "canceled", "upstream_failed", "reused"]);

/** A step's start and end as a status change tells them (the server's times come with a snapshot). */
function timesOf(s: StepState, status: string): Pick<StepState, "started_at" | "finished_at"> {
  const now = new Date().toISOString();
  if (status === "running") return { started_at: s.started_at ?? now, finished_at: null };
  if (ENDED.has(status)) return { started_at: s.started_at, finished_at: s.finished_at ?? now };
  return { started_at: s.started_at, finished_at: s.finished_at };
}

/** Apply one message; events at or below the view's seq are already applied and are ignored. */
export function applyRunMessage(view: RunView | null, msg: ServerMessage): RunView | null {
  if (msg.type === "run.snapshot") {
    const { run, steps } = msg.data;
    const parts = view?.logParts ?? new Map<string, AttemptLog>();
    return {
      run,
      seq: msg.seq,
      // each output is the REST API's StepOutput (the protocol leaves its summary untyped)
      steps: new Map(steps.map((s) => [s.key, { ...s, outputs: s.outputs as Record<string, OutputInfo>, history: s.history ?? [] }])),
      logParts: parts,
      logs: flatten(parts),
      finished: finishedFrom(run, steps),
    };
  }
  if (msg.type === "error" || msg.type === "workspace.snapshot" || !view || msg.seq <= view.seq) return view;
  const base = { ...view, seq: msg.seq };
  switch (msg.type) {
    case "run.status":
      return { ...base, run: { ...view.run, status: msg.data.status } };
    case "run.finished": {
      const { status, counts, duration } = msg.data;
      return { ...base, run: { ...view.run, status }, finished: { status, counts: { ...counts }, duration } };
    }
    case "step.status": {
      const d = msg.data;
      return {
        ...base,
        steps: withStep(view, d.step, (s) => ({
          ...s,
          status: d.status,
          attempts: Math.max(s.attempts, d.attempt),
          reason: d.reason || s.reason,
          error: d.error,
          progress: d.status === "running" ? s.progress : null,
          history: withAttempt(s.history ?? [], d.status, d.attempt, d.error),
          ...timesOf(s, d.status),
        })),
      };
    }
    case "step.progress": {
      const { step, value, max } = msg.data;
      return { ...base, steps: withStep(view, step, (s) => ({ ...s, progress: { value, max } })) };
    }
    case "step.output": {
      const { step, port, ...record } = msg.data;
      const info = record as OutputInfo; // the REST API's StepOutput (the protocol leaves the summary untyped)
      return { ...base, steps: withStep(view, step, (s) => ({ ...s, outputs: { ...s.outputs, [port]: info } })) };
    }
    case "step.log": {
      const { step, stream, lines, attempt, offset } = msg.data;
      const placed = placeLogLines(base, step, attempt ?? 0, offset ?? null, lines.map((text) => ({ stream, text })));
      if (offset === undefined || offset === null) return placed;
      const end = offset + lines.length;
      return {
        ...placed,
        steps: withStep(placed, step, (s) => ({
          ...s,
          history: (s.history ?? []).map((a) => (a.attempt === attempt && a.lines < end ? { ...a, lines: end } : a)),
        })),
      };
    }
  }
}

// A step's status as the engine counts it in `run.finished` (scheduler.outcome_counts).
const OUTCOMES: Partial<Record<string, string>> = { succeeded: "ran", reused: "reused", failed: "failed", canceled: "canceled", upstream_failed: "upstream_failed" };

/** What `run.finished` says of a run that had finished when its snapshot was taken (a socket that
 * joins later, e.g. after a rerun that every step reused finished in its request); else null. */
function finishedFrom(run: RunInfo, steps: ReadonlyArray<{ status: string }>): RunView["finished"] {
  if (!isFinal(run.status)) return null;
  const counts: Record<string, number> = {};
  for (const step of steps) {
    const name = OUTCOMES[step.status];
    if (name) counts[name] = (counts[name] ?? 0) + 1;
  }
  const started = run.started_at ? Date.parse(run.started_at) : NaN;
  const ended = run.finished_at ? Date.parse(run.finished_at) : NaN;
  const duration = Number.isNaN(started) || Number.isNaN(ended) ? 0 : Math.max((ended - started) / 1000, 0);
  return { status: run.status, counts, duration };
}

export function isFinal(status: RunStatus | undefined): boolean {
  return status === "succeeded" || status === "failed" || status === "canceled";
}
