"""Finish an all-reused run inside the request that starts it (embedded runner only).

An unchanged rerun needs no worker process: the executor decides every step from the cache
before it would ask the runner for one. So the POST runs `engine.execute` itself, in the
transaction that created the run, with a runner that refuses every task: if a step would have
to run, the attempt is abandoned (its events are dropped) and the run is handed to the
coordinator as before; otherwise the engine's events go through the same translation as the
coordinator's (`translate.apply_events`) and are appended to the run's event log in that
transaction, so the log is exactly the one the coordinator would have written, and it is
published after the commit. The decisions run inside that transaction (they need the run's id;
on SQLite its write lock is held from BEGIN IMMEDIATE anyway): ~5 ms for 100 steps.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings

from designer.engine.events import Event
from designer.engine.execute import execute
from designer.engine.plan import Plan
from designer.engine.runners.base import RunnerMessage
from designer.runs import engine_setup
from designer.runs.models import Run, RunStatus

logger = logging.getLogger(__name__)


class WorkerNeeded(Exception):
    """A step must run: the run cannot be finished without a worker."""


class NoWorkerRunner:
    """A runner that has no workers: the first task submitted aborts the execution."""

    capacity = 1

    def submit(self, task_id: str, task: Mapping[str, Any]) -> None:
        raise WorkerNeeded(task_id)

    def wait(self, timeout: float | None, wake_fds: Sequence[int] = ()) -> list[RunnerMessage]:
        return []  # pragma: no cover - nothing is ever submitted

    def kill(self, task_id: str) -> None:
        return None

    def close(self) -> None:
        return None


def eligible(run: Run, plan: Plan) -> bool:
    """Whether a new run may be finished in its request: embedded runner, whole plan, cache on.

    Subset runs (run from / run only) force steps to run, a bypassed cache runs everything and a
    non-deterministic step always runs, so none of them can be all-reused.
    """
    return (
        run.runner != "celery"
        and settings.DESIGNER_RUNNER != "celery"
        and not run.options.get("bypass_cache")
        and plan.target[0] == "all"
        and all(step.mode == "auto" and step.deterministic for step in plan.steps)
    )


def reused_events(run: Run, plan: Plan) -> list[Event] | None:
    """Execute a just-created run without workers: its engine events when every step was reused.

    None when the run is not eligible or a step would have to run (then nothing the run shows
    has been saved; the cache may have noted a reuse, as the coordinator would note it again).
    """
    if not eligible(run, plan):
        return None
    events: list[Event] = []
    try:
        result = execute(
            plan,
            runner=NoWorkerRunner(),
            cache=engine_setup.cache_for(run),
            store=engine_setup.artifact_store(),
            emit=events.append,
            run_id=str(run.pk),
            scope=engine_setup.scope(run),
            datasets=engine_setup.dataset_space(run),
        )
    except WorkerNeeded:
        return None
    except Exception:  # e.g. an unreadable cache index: the coordinator reports it on the run
        logger.exception("run %s: deciding it in its request failed; handing it over", run.pk)
        return None
    if result.status != RunStatus.SUCCEEDED or result.counts["reused"] != len(plan.steps):
        return None
    return events
