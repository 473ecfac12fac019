// Run state on the client: a pure reducer over the WebSocket messages (snapshot, then events by seq).
import type { RunStatus, StepState } from "../api/types";
import type { RunInfo, ServerMessage } from "../protocol.gen";

export interface LogLine {
  step: string;
  stream: string;
  text: string;
}

export interface RunView {
  run: RunInfo;
  seq: number;
  steps: Map<string, StepState>;
  logs: LogLine[];
  finished: { status: RunStatus; counts: Record<string, number>; duration: number } | null;
}

const LOG_LIMIT = 5000;

function blankStep(key: string): StepState {
  return { key, module: "", status: "pending", attempts: 0, reason: "", progress: null, outputs: {}, error: "", started_at: null, finished_at: null };
}

function withStep(view: RunView, key: string, f: (s: StepState) => StepState): Map<string, StepState> {
  const steps = new Map(view.steps);
  steps.set(key, f(view.steps.get(key) ?? blankStep(key)));
  return steps;
}

/** Apply one message; events at or below the view's seq are already applied and are ignored. */
export function applyRunMessage(view: RunView | null, msg: ServerMessage): RunView | null {
  if (msg.type === "run.snapshot") {
    const { run, steps } = msg.data;
    return {
      run,
      seq: msg.seq,
      steps: new Map(steps.map((s) => [s.key, s])),
      logs: view?.logs ?? [],
      finished: null,
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
        })),
      };
    }
    case "step.progress": {
      const { step, value, max } = msg.data;
      return { ...base, steps: withStep(view, step, (s) => ({ ...s, progress: { value, max } })) };
    }
    case "step.output": {
      const { step, port, ...info } = msg.data;
      return { ...base, steps: withStep(view, step, (s) => ({ ...s, outputs: { ...s.outputs, [port]: info } })) };
    }
    case "step.log": {
      const { step, stream, lines } = msg.data;
      const logs = [...view.logs, ...lines.map((text) => ({ step, stream, text }))];
      return { ...base, logs: logs.length > LOG_LIMIT ? logs.slice(logs.length - LOG_LIMIT) : logs };
    }
  }
}

export function isFinal(status: RunStatus | undefined): boolean {
  return status === "succeeded" || status === "failed" || status === "canceled";
}
