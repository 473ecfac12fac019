import { describe, expect, it } from "vitest";
import type { ServerMessage } from "../protocol.gen";
import { applyRunMessage, placeLogLines, type RunView } from "./state";

const snapshotData = {
  run: { id: 7, workspace: 1, graph: 2, version: 1, status: "running", created_at: "", started_at: null, finished_at: null, parameters: {} },
  steps: [
    { key: "a", module: "m@1", status: "succeeded", attempts: 1, reason: "ran", progress: null, outputs: {}, error: "", started_at: null, finished_at: null, history: [] },
    { key: "b", module: "m@1", status: "queued", attempts: 0, reason: "", progress: null, outputs: {}, error: "", started_at: null, finished_at: null, history: [] },
  ],
};
const snapshot = { type: "run.snapshot", run_id: 7, seq: 3, data: snapshotData } as ServerMessage;

const event = (seq: number, type: string, data: Record<string, unknown>) => ({ type, run_id: 7, seq, data }) as unknown as ServerMessage;

function play(messages: ServerMessage[]): RunView {
  const view = messages.reduce<RunView | null>((v, m) => applyRunMessage(v, m), null);
  if (!view) throw new Error("no view");
  return view;
}

describe("run state", () => {
  it("starts from the snapshot and applies later events in order", () => {
    const view = play([
      snapshot,
      event(4, "step.status", { step: "b", status: "running", attempt: 1, reason: "ran: params changed", error: "" }),
      event(5, "step.progress", { step: "b", value: 5, max: 10 }),
      event(6, "step.log", { step: "b", stream: "stdout", lines: ["hello", "world"] }),
    ]);
    const b = view.steps.get("b");
    expect(b?.status).toBe("running");
    expect(b?.attempts).toBe(1);
    expect(b?.reason).toBe("ran: params changed");
    expect(b?.progress).toEqual({ value: 5, max: 10 });
    expect(view.logs.map((l) => l.text)).toEqual(["hello", "world"]);
    expect(view.seq).toBe(6);
  });

  it("ignores events the snapshot already covers and replayed duplicates", () => {
    const view = play([
      snapshot,
      event(3, "step.status", { step: "b", status: "failed", attempt: 1, reason: "", error: "x" }),
      event(4, "step.log", { step: "b", stream: "stdout", lines: ["once"] }),
      event(4, "step.log", { step: "b", stream: "stdout", lines: ["once"] }),
    ]);
    expect(view.steps.get("b")?.status).toBe("queued");
    expect(view.logs).toHaveLength(1);
  });

  it("places log lines by number: a page read after a reload and live lines never double", () => {
    const live = play([
      snapshot,
      event(4, "step.log", { step: "b", stream: "stdout", lines: ["two", "three"], attempt: 1, offset: 2 }),
    ]);
    expect(live.logs.map((l) => l.text)).toEqual(["two", "three"]);
    const page = placeLogLines(live, "b", 1, 0, [
      { stream: "stdout", text: "zero" },
      { stream: "stdout", text: "one" },
      { stream: "stdout", text: "two" },
    ]);
    expect(page.logs.map((l) => l.text)).toEqual(["zero", "one", "two", "three"]);
    const again = applyRunMessage(page, event(5, "step.log", { step: "b", stream: "stdout", lines: ["three", "four"], attempt: 1, offset: 3 }));
    expect(again?.logs.map((l) => l.text)).toEqual(["zero", "one", "two", "three", "four"]);
    expect(again?.steps.get("b")?.history).toEqual([]); // no attempt entry yet: nothing invented
  });

  it("keeps unchanged steps identical so their nodes do not re-render", () => {
    const first = play([snapshot]);
    const next = applyRunMessage(first, event(4, "step.status", { step: "b", status: "running", attempt: 1, reason: "", error: "" }));
    expect(next?.steps.get("a")).toBe(first.steps.get("a"));
  });

  it("records outputs, retries and the finish", () => {
    const view = play([
      snapshot,
      event(4, "step.status", { step: "b", status: "retrying", attempt: 1, reason: "", error: "boom" }),
      event(5, "step.status", { step: "b", status: "running", attempt: 2, reason: "", error: "" }),
      event(6, "step.output", { step: "b", port: "dataset", digest: "d", kind: "parquet", size: 10, summary: { rows: 3 } }),
      event(7, "step.status", { step: "b", status: "succeeded", attempt: 2, reason: "", error: "" }),
      event(8, "run.finished", { status: "succeeded", counts: { ran: 2, reused: 0 }, duration: 1.5 }),
    ]);
    const b = view.steps.get("b");
    expect(b?.attempts).toBe(2);
    expect(b?.error).toBe("");
    expect(b?.history.map((a) => [a.attempt, a.status, a.error])).toEqual([
      [1, "failed", "boom"],
      [2, "succeeded", ""],
    ]);
    expect(b?.outputs.dataset).toEqual({ digest: "d", kind: "parquet", size: 10, summary: { rows: 3 } });
    expect(view.run.status).toBe("succeeded");
    expect(view.finished?.duration).toBe(1.5);
  });

  it("tells a run that had finished before its snapshot as its run.finished would", () => {
    const run = { ...snapshotData.run, status: "succeeded", started_at: "2026-12-02T10:00:00Z", finished_at: "2026-12-02T10:00:00.250Z" };
    const steps = snapshotData.steps.map((s) => ({ ...s, status: "reused" }));
    const view = play([{ ...snapshot, data: { run, steps } } as ServerMessage]);
    expect(view.finished).toEqual({ status: "succeeded", counts: { reused: 2 }, duration: 0.25 });
    expect(play([snapshot]).finished).toBeNull(); // still running: its run.finished will come
  });
});
