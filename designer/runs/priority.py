"""The broker priority of a Celery run's tasks: a workspace with many runs going holds back
no other workspace's run (decision 0082), and a run going holds back no run waiting for a
worker (decision 0088)."""

from __future__ import annotations

import time

from django.db.models import Exists, OuterRef, Q

from designer.runs.models import Run, RunStatus, StepRun, StepStatus
from designer.workspaces.models import Workspace

LOWEST = 9  # Redis transport priorities: 0 is taken first, 9 last (settings: priority_steps)
LOOK_EVERY = 0.5  # seconds between two looks for runs waiting, while none does (others_wait)
_NONE_WAITING: dict[tuple[int, int], float] = {}  # (workspace, priority) -> when none waited


def fair_priority(workspace_id: int) -> int:
    """How many of the workspace's runs are queued or running (one index look-up), capped at
    LOWEST: its next run's tasks wait behind those of workspaces running fewer. Called in the
    transaction that creates the run, it holds the workspace's row (FOR NO KEY UPDATE, which
    rows pointing at the workspace do not wait for) until the run is committed: runs started
    at once in one workspace are counted one after another, not all as the first."""
    list(Workspace.objects.select_for_update(no_key=True).filter(pk=workspace_id).values("pk"))
    active = Run.objects.filter(
        workspace_id=workspace_id, status__in=(RunStatus.QUEUED, RunStatus.RUNNING)
    )
    return min(active[: LOWEST + 1].count(), LOWEST)


def step_priority(run_priority: int, holds_a_worker: bool) -> int:
    """The broker priority of step tasks a run sends: its own while it holds no worker (its
    first steps go with its start, before the steps of runs going), one lower while it does."""
    return min(run_priority + holds_a_worker, LOWEST)


def others_wait(run: Run) -> bool:
    """Whether a worker that finished a step of `run` goes back to the queue rather than take
    the run's next step itself: a run of another workspace, at the run's priority or a better
    one, waits for a worker (queued, or started by a reconciler with its first steps sent and
    none running). Its start or its first steps wait in the queue before the run's steps
    (`step_priority`), and the worker takes them. Asked of the database at most every
    LOOK_EVERY seconds per workspace and priority while no run waits (a fan-out's workers
    report hundreds of steps a second): a run that starts waiting waits that much longer."""
    key, now = (run.workspace_id, run.priority), time.monotonic()
    if now - _NONE_WAITING.get(key, -LOOK_EVERY) < LOOK_EVERY:
        return False
    step = StepRun.objects.filter(run=OuterRef("pk"))
    sent = step.filter(status=StepStatus.QUEUED, attempts__gt=0)
    holding = step.filter(status=StepStatus.RUNNING)
    waiting = Q(status=RunStatus.QUEUED) | (~Exists(holding) & Exists(sent))
    active = Run.objects.filter(status__in=(RunStatus.QUEUED, RunStatus.RUNNING))
    others = active.filter(runner="celery", priority__lte=run.priority).exclude(
        workspace_id=run.workspace_id
    )
    if others.filter(waiting).exists():
        return True
    if len(_NONE_WAITING) >= 1024:
        _NONE_WAITING.clear()
    _NONE_WAITING[key] = now
    return False
