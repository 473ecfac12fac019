"""A scripted run (the engine events an executor emits) and a client-side view of its stream."""

from __future__ import annotations

import copy
from typing import Any

# (EventType value, step key or None, data): what designer.engine's emit() callback receives.
EngineEvent = tuple[str, str | None, dict[str, Any]]


def step_key(index: int) -> str:
    """The key of step `index` (1-based)."""
    return f"n{index}"


def output(step: str) -> dict[str, Any]:
    """The step.output event data of a step's dataset port."""
    digest = (step * 64)[:64]
    summary = {"rows": 150, "columns": 5}
    return {
        "port": "dataset",
        "digest": digest,
        "kind": "DataFrame",
        "size": 1024,
        "summary": summary,
    }


def step_events(step: str, index: int) -> list[EngineEvent]:
    """One step's events: step 3 is reused; step 5 fails once, then succeeds on a retry."""
    if index == 3:
        reused = {"reason": "reused: same fingerprint as run 1"}
        return [
            ("step.queued", step, {}),
            ("step.reused", step, reused),
            ("step.output", step, output(step)),
        ]
    events: list[EngineEvent] = [
        ("step.queued", step, {}),
        ("step.started", step, {"attempt": 1, "reason": "cache miss"}),
    ]
    if index == 5:
        events += [
            ("step.log", step, {"stream": "stderr", "lines": ["connection reset"]}),
            ("step.retrying", step, {"attempt": 1, "delay": 0, "error": "connection reset"}),
            ("step.started", step, {"attempt": 2, "reason": "retry after failure"}),
        ]
    events += [
        ("step.progress", step, {"value": 1, "max": 2}),
        ("step.log", step, {"stream": "stdout", "lines": [f"{step}: half", f"{step}: ok"]}),
        ("step.progress", step, {"value": 2, "max": 2}),
        ("step.output", step, output(step)),
        ("step.succeeded", step, {}),
    ]
    return events


def run_script(steps: int) -> list[EngineEvent]:
    """A whole successful run of `steps` steps, in the order an executor reports it."""
    events: list[EngineEvent] = [("run.started", None, {})]
    for index in range(1, steps + 1):
        events += step_events(step_key(index), index)
    events.append(("run.finished", None, {"status": "succeeded"}))
    return events


def expected_step(index: int) -> dict[str, Any]:
    """Where step `index` must end after run_script."""
    out = {k: v for k, v in output(step_key(index)).items() if k != "port"}
    if index == 3:
        return {
            "status": "reused",
            "attempts": 0,
            "reason": "reused: same fingerprint as run 1",
            "progress": None,
            "outputs": {"dataset": out},
            "error": "",
        }
    return {
        "status": "succeeded",
        "attempts": 2 if index == 5 else 1,
        "reason": "retry after failure" if index == 5 else "cache miss",
        "progress": {"value": 2.0, "max": 2.0},
        "outputs": {"dataset": out},
        "error": "",
    }


STEP_FIELDS = ("status", "attempts", "reason", "progress", "outputs", "error")


class RunView:
    """What a client shows: a run.snapshot with every later event applied in seq order."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        assert snapshot["type"] == "run.snapshot"
        self.seq: int = snapshot["seq"]
        self.run = copy.deepcopy(snapshot["data"]["run"])
        self.steps = {s["key"]: copy.deepcopy(s) for s in snapshot["data"]["steps"]}
        self.logs: dict[str, list[str]] = {}
        self.finished: dict[str, Any] | None = None

    def apply(self, message: dict[str, Any]) -> None:
        """Apply the next event; it must be exactly seq + 1."""
        assert message["seq"] == self.seq + 1, (message["seq"], self.seq)
        self.seq = message["seq"]
        kind, data = message["type"], message["data"]
        if kind == "run.status":
            self.run["status"] = data["status"]
        elif kind == "run.finished":
            self.finished = data
        elif kind == "step.status":
            step = self.steps[data["step"]]
            step.update(status=data["status"], attempts=data["attempt"])
            step.update(reason=data["reason"], error=data["error"])
            if data["status"] in {"reused", "failed", "canceled", "upstream_failed"}:
                step["progress"] = None
        elif kind == "step.progress":
            self.steps[data["step"]]["progress"] = {"value": data["value"], "max": data["max"]}
        elif kind == "step.output":
            out = {k: v for k, v in data.items() if k not in {"step", "port"}}
            self.steps[data["step"]]["outputs"][data["port"]] = out
        elif kind == "step.log":
            self.logs.setdefault(data["step"], []).extend(data["lines"])

    def step_state(self, key: str) -> dict[str, Any]:
        """The fields of a step a user sees."""
        return {field: self.steps[key][field] for field in STEP_FIELDS}
