"""The one enum of event types the engine emits; a released value never changes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """Every kind of event a run produces. Stored values are forever: add, never rename."""

    RUN_STARTED = "run.started"
    RUN_FINISHED = "run.finished"  # data: {"status": succeeded|failed|canceled, counts...}
    STEP_QUEUED = "step.queued"
    STEP_STARTED = "step.started"  # data: {"attempt": n, "reason": why it runs}
    STEP_PROGRESS = "step.progress"  # data: {"value": v, "max": m}
    STEP_LOG = "step.log"  # data: {"lines": [..], "stream": "stdout"|"stderr"|"log"}
    STEP_OUTPUT = "step.output"  # data: {"port": p, "digest": d, "kind": k, "summary": {...}}
    STEP_SUCCEEDED = "step.succeeded"
    STEP_REUSED = "step.reused"  # data: {"reason": "reused: key K from run R"}
    STEP_FAILED = "step.failed"  # data: {"error": message, "attempt": n}
    STEP_RETRYING = "step.retrying"  # data: {"attempt": n, "delay": s, "error": message}
    STEP_CANCELED = "step.canceled"
    STEP_UPSTREAM_FAILED = "step.upstream_failed"  # data: {"upstream": key}


@dataclass(frozen=True)
class Event:
    """Something that happened in a run, for `emit(event)` callbacks."""

    type: EventType
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return {"type": self.type.value, "step": self.step, "data": self.data, "time": self.time}
