"""The broker priority of a Celery run's tasks: a workspace with many runs going holds back
no other workspace's run (decision 0082), and a run going holds back no run waiting for a
worker (decision 0088) nor, between workspaces, holds more than its share of the workers
(decision 0092)."""

from __future__ import annotations

import time

from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

from designer.runs.models import Run, RunStatus, StepRun, StepStatus
from designer.workspaces.models import Workspace

LOWEST = 9  # Redis transport priorities: 0 is taken first, 9 last (settings: priority_steps)
LOOK_EVERY = 0.5  # seconds between two looks for runs owed a worker, while none is (owed_worker)
_NONE_OWED: dict[tuple[int, int], float] = {}  # (workspace, priority) -> when none was owed


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


def owed_worker(run: Run) -> int | None:
    """The run a worker that finished a step of `run` starts a step of rather than take the
    run's next step itself, if any: a run of another workspace, at the run's priority or a
    better one, that is queued (decision 0088; of several, the one its broker priority puts
    first), or that has a step's task waiting in the queue while it holds none of the workers,
    or fewer than `run` would hold without this one (0092: a fair share; of several, the one
    holding fewest). Asked of the database at most every LOOK_EVERY seconds per workspace and
    priority while no run is owed one (a fan-out's workers report hundreds of steps a second):
    a run that falls behind waits that much longer."""
    key, now = (run.workspace_id, run.priority), time.monotonic()
    if now - _NONE_OWED.get(key, -LOOK_EVERY) < LOOK_EVERY:
        return None
    active = Run.objects.filter(status__in=(RunStatus.QUEUED, RunStatus.RUNNING))
    others = active.filter(runner="celery", priority__lte=run.priority).exclude(
        workspace_id=run.workspace_id
    )
    queued = others.filter(status=RunStatus.QUEUED).order_by("priority", "created_at")
    first = queued.values_list("pk", flat=True).first()
    if first is not None:
        return first
    step = StepRun.objects.filter(run=OuterRef("pk"))
    sent = step.filter(status=StepStatus.QUEUED, attempts__gt=0)
    running = step.filter(status=StepStatus.RUNNING).order_by().values("run")
    behind = (
        others.filter(Exists(sent))
        .annotate(holding=Coalesce(Subquery(running.annotate(n=Count("pk")).values("n")), 0))
        .order_by("holding", "priority", "created_at")
        .values_list("pk", "holding")
        .first()
    )
    if behind is not None:
        other, holding = behind
        if holding == 0 or holding < _running(run) - 1:
            return int(other)
    if len(_NONE_OWED) >= 1024:
        _NONE_OWED.clear()
    _NONE_OWED[key] = now
    return None


def _running(run: Run) -> int:
    """How many of the run's steps are running (the one whose worker asks included)."""
    return StepRun.objects.filter(run_id=run.pk, status=StepStatus.RUNNING).count()
