"""Pure scheduling decisions over a plan and the statuses of its steps.

Nothing here has side effects or keeps state: the local executor and a distributed (Celery)
coordinator both call these functions with the run state they hold (e.g. StepRun rows).
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
        if all(_status(statuses, dep) in DONE for dep in step.dependencies):
            ready.append(step.key)
    return ready


def blocked_steps(plan: Plan, statuses: Statuses) -> list[str]:
    """Keys of the pending steps that can never run because something upstream failed.

    They should be marked upstream_failed (or canceled, if the failure was a cancellation).
    """
    bad = {
        k
        for k in plan.order
        if _status(statuses, k)
        in (StepStatus.FAILED, StepStatus.UPSTREAM_FAILED, StepStatus.CANCELED)
    }
    blocked = []
    for step in plan.steps:
        if _status(statuses, step.key) is StepStatus.PENDING and any(
            dep in bad for dep in step.dependencies
        ):
            bad.add(step.key)
            blocked.append(step.key)
    return blocked


def failed_upstream(plan: Plan, statuses: Statuses, key: str) -> str | None:
    """The first dependency of `key` that failed, was canceled or is upstream_failed, if any."""
    for dep in plan.step(key).dependencies:
        if _status(statuses, dep) in (
            StepStatus.FAILED,
            StepStatus.UPSTREAM_FAILED,
            StepStatus.CANCELED,
        ):
            return dep
    return None


def is_finished(plan: Plan, statuses: Statuses) -> bool:
    """Whether every step has reached a final status."""
    return all(_status(statuses, k) in FINAL for k in plan.order)


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


def run_outcome(plan: Plan, statuses: Statuses) -> str:
    """The status of a finished run: succeeded, failed or canceled (else running)."""
    values = [_status(statuses, k) for k in plan.order]
    if any(v not in FINAL for v in values):
        return "running"
    if any(v is StepStatus.CANCELED for v in values):
        return "canceled"
    if any(v in (StepStatus.FAILED, StepStatus.UPSTREAM_FAILED) for v in values):
        return "failed"
    return "succeeded"
