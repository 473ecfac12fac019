"""What an endpoint key's run socket shows of its calls' runs: no more than the call's REST status.

A key reads only the calls it made, never the graph (decision 0014): the run's and each step's
state and progress, and a failed step's first line of error (what the call's `error` says).
Not a traceback (the names and lines of the graph's code), a step's log lines, its outputs
(their summaries describe the graph's intermediate tables) or why it ran or was reused (other
runs, changed params); those events are not sent at all.
"""

from __future__ import annotations

from typing import Any

HIDDEN = frozenset({"step.log", "step.output"})


def first_line(error: str) -> str:
    """An error's first line: the step's own message, without the traceback that follows."""
    return error.partition("\n")[0]


def _step(step: dict[str, Any]) -> dict[str, Any]:
    history = [
        {**attempt, "error": first_line(attempt["error"]), "lines": 0}
        for attempt in step["history"]
    ]
    return {
        **step,
        "reason": "",
        "outputs": {},
        "error": first_line(step["error"]),
        "history": history,
    }


def for_key(message: dict[str, Any]) -> dict[str, Any] | None:
    """The message as a key's socket sends it (a copy when changed), or None: not sent."""
    kind = message.get("type")
    if kind in HIDDEN:
        return None
    data = message.get("data")
    if kind == "run.snapshot" and isinstance(data, dict):
        steps = [_step(step) for step in data["steps"]]
        return {**message, "data": {**data, "steps": steps}}
    if kind == "step.status" and isinstance(data, dict):
        changed = {**data, "reason": "", "error": first_line(str(data.get("error", "")))}
        return {**message, "data": changed}
    return message
