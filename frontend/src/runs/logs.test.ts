import { describe, expect, it } from "vitest";
import type { ServerMessage } from "../protocol.gen";
import { cutAttempts, MAX_LOADED } from "./logs";
import { applyRunMessage, type RunView } from "./state";

const attempt = (n: number, lines: number) => ({ attempt: n, status: "succeeded", started_at: null, finished_at: null, error: "", lines });
const step = (key: string, history: ReturnType<typeof attempt>[]) => ({
  key,
  module: "m@1",
  status: "succeeded",
  attempts: history.length,
  reason: "ran",
  progress: null,
  outputs: {},
  error: "",
  started_at: null,
  finished_at: null,
  history,
});

describe("run logs", () => {
  it("names the attempts whose lines are more than the page loads", () => {
    const data = {
      run: { id: 7, workspace: 1, graph: 2, version: 1, status: "succeeded", created_at: "", started_at: null, finished_at: null, parameters: {} },
      steps: [step("a", [attempt(1, MAX_LOADED + 1), attempt(2, 10)]), step("b", [attempt(1, MAX_LOADED)])],
    };
    const view = applyRunMessage(null, { type: "run.snapshot", run_id: 7, seq: 1, data } as ServerMessage) as RunView;
    expect(cutAttempts(view)).toEqual([{ step: "a", attempt: 1, lines: MAX_LOADED + 1 }]);
  });
});
