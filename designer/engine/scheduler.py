"""Pure scheduling decisions over a plan and the statuses of its steps.

Nothing here has side effects or keeps state: the run state machine (machine.py) asks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from designer.engine.plan import Plan, Step


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


def ready_steps(
    plan: Plan, statuses: Statuses, candidates: Iterable[str] | None = None
) -> list[str]:
    """Keys of the pending steps whose dependencies have all succeeded or been reused.

    In plan (topological) order. A step missing from `statuses` counts as pending. These steps
    can be decided (cache lookup) and started now, whatever "level" they are on.
    `candidates` optionally limits the answer to those keys (e.g. the dependents of a step that
    just finished), which keeps a large run's loop linear; the answer for them is the same.
    """
    if candidates is None:
        steps: Iterable[Step] = plan.steps
    else:
        wanted = set(candidates)
        steps = (
            [s for s in plan.steps if s.key in wanted]
            if len(wanted) > 8
            else sorted((plan.step(k) for k in wanted), key=plan.position)
        )
    ready = []
    for step in steps:
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
