"""Pure scheduling decisions over a plan and the statuses of its steps.

Nothing here has side effects or keeps state: the run state machine (machine.py) asks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from designer.engine.plan import Plan


class StepStatus(StrEnum):
    """Where a step is in its life (same values as the runs app's StepStatus)."""

    PENDING = "pending"  # waiting for its inputs
    QUEUED = "queued"  # decided to run, waiting for a free worker
    RUNNING = "running"
    RETRYING = "retrying"  # failed an attempt, waiting out the backoff
    SUCCEEDED = "succeeded"
    REUSED = "reused"
    FAILED = "failed"
    CANCELED = "canceled"
    UPSTREAM_FAILED = "upstream_failed"


DONE = frozenset({StepStatus.SUCCEEDED, StepStatus.REUSED})
FINAL = frozenset(
    {
        StepStatus.SUCCEEDED,
        StepStatus.REUSED,
        StepStatus.FAILED,
        StepStatus.CANCELED,
        StepStatus.UPSTREAM_FAILED,
    }
)
Statuses = Mapping[str, "StepStatus | str"]


def _status(statuses: Statuses, key: str) -> StepStatus:
    value = statuses.get(key, StepStatus.PENDING)
    return value if isinstance(value, StepStatus) else StepStatus(value)


def ready_steps(plan: Plan, statuses: Statuses) -> list[str]:
    """Keys of the pending steps whose dependencies have all succeeded or been reused.

    In plan (topological) order. A step missing from `statuses` counts as pending. These steps
    can be decided (cache lookup) and started now, whatever "level" they are on. (A run's
    machine asks this once, then follows each step's count of unfinished dependencies.)
    """
    ready = []
    for step in plan.steps:
        if _status(statuses, step.key) is not StepStatus.PENDING:
            continue
        # latest first: in plan order the last dependency is the likeliest to be unfinished,
        # so a step with many (a fan-in) is dismissed at once, not after a scan of the done ones
        if all(_status(statuses, dep) in DONE for dep in reversed(step.dependencies)):
            ready.append(step.key)
    return ready


_OUTCOME_NAMES: dict[str, str] = {  # keyed by value: a StrEnum member is the same key
    StepStatus.SUCCEEDED: "ran",
    StepStatus.REUSED: "reused",
    StepStatus.FAILED: "failed",
    StepStatus.CANCELED: "canceled",
    StepStatus.UPSTREAM_FAILED: "upstream_failed",
}


def outcome_counts(statuses: Iterable[str]) -> dict[str, int]:
    """How many steps ran (and succeeded), were reused, failed, were canceled or blocked."""
    counts = dict.fromkeys(_OUTCOME_NAMES.values(), 0)
    for status in statuses:
        name = _OUTCOME_NAMES.get(status)
        if name:
            counts[name] += 1
    return counts


def run_status(statuses: Iterable[StepStatus | str]) -> str:
    """The status of a run whose steps ended so: canceled, failed, or succeeded."""
    values = [StepStatus(v) for v in statuses]
    if any(v is StepStatus.CANCELED for v in values):
        return "canceled"
    if all(v in DONE for v in values):
        return "succeeded"
    return "failed"  # a failed or blocked step (or, defensively, one that never ended)
