"""What a run returns: each step's result (StepResult) and the run's outcome (RunResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from designer.engine.artifacts import OutputRecord
from designer.engine.scheduler import StepStatus, outcome_counts


@dataclass
class StepResult:
    """What happened to one step in a run."""

    key: str
    module: str
    status: StepStatus = StepStatus.PENDING
    reason: str = ""
    attempts: int = 0
    fingerprint: str = ""
    outputs: dict[str, OutputRecord] = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None
    started_at: float | None = None  # when the implementation started (worker clock)
    finished_at: float | None = None

    @property
    def duration(self) -> float | None:
        """Seconds the implementation ran, if it ran."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form."""
        return {
            "key": self.key,
            "module": self.module,
            "status": self.status.value,
            "reason": self.reason,
            "attempts": self.attempts,
            "fingerprint": self.fingerprint,
            "outputs": {k: v.to_dict() for k, v in self.outputs.items()},
            "error": self.error,
            "traceback": self.traceback,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


@dataclass
class RunResult:
    """The outcome of execute(): overall status, per-step results and counts."""

    run_id: str
    status: str
    steps: dict[str, StepResult]
    duration: float

    @property
    def counts(self) -> dict[str, int]:
        """How many steps ran (and succeeded), were reused, failed, were canceled or blocked."""
        return outcome_counts(result.status for result in self.steps.values())

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "duration": self.duration,
            "counts": self.counts,
            "steps": {k: v.to_dict() for k, v in self.steps.items()},
        }
