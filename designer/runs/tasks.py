"""Celery tasks of the distributed path: advance a run, and run one step on a worker."""

from __future__ import annotations

import time
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from designer.engine.artifacts import OutputRecord
from designer.engine.cache import Decision, record_success
from designer.engine.events import Event, EventType
from designer.engine.runners.routing import step_image
from designer.engine.worker import run_step as engine_run_step
from designer.realtime.protocol import LOG_BATCH_SECONDS
from designer.runs import distributed, engine_setup, eventlog, heartbeat, services, translate
from designer.runs.heartbeat import Heartbeat
from designer.runs.models import Run, RunStatus, StepRun, StepStatus

FINAL_RUN = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED)


@shared_task(name="designer.runs.advance_run")
def advance_run(run_id: int) -> None:
    """Decide the run's ready steps (reuse or queue) and finish it when every step is final."""
    distributed.advance(run_id)


def _claim(run_id: int, key: str, attempt: int) -> Run | None:
    """Mark the step running if it is still queued for this attempt; None when it must not run."""
    with transaction.atomic():
        run = eventlog.lock_run(run_id)
        if run.status in FINAL_RUN:
            return None
        step = StepRun.objects.select_for_update().get(run_id=run_id, key=key)
        if step.status != StepStatus.QUEUED or step.attempts != attempt - 1:
            return None
        step.status = StepStatus.RUNNING
        step.attempts = attempt
        step.started_at = timezone.now()
        step.error = ""
        step.save(update_fields=["status", "attempts", "started_at", "error"])
        eventlog.append(run, [translate.step_status_message(step)])
        return Run.objects.select_related("graph_version").get(pk=run_id)


class _Reporter:
    """Collects a step's logs and progress and saves them at most every 100 ms."""

    def __init__(self, run_id: int, key: str):
        self.run_id, self.key = run_id, key
        self.pending: list[Event] = []
        self.last = time.monotonic()

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        kind_type = EventType.STEP_LOG if kind == "log" else EventType.STEP_PROGRESS
        self.pending.append(Event(kind_type, self.key, dict(data)))
        if time.monotonic() - self.last >= LOG_BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            services.record_events(self.run_id, self.pending)
        self.pending = []
        self.last = time.monotonic()


@shared_task(name="designer.runs.run_step")
def run_step(run_id: int, key: str, task: dict[str, Any]) -> None:
    """Run one step in this worker process, save its outcome, then advance the run."""
    run = _claim(run_id, key, int(task["attempt"]))
    if run is None:
        return
    reporter = _Reporter(run_id, key)
    attempt = int(task["attempt"])
    name = distributed.task_id(run_id, key, attempt)
    with Heartbeat(name):
        watch_step.apply_async((run_id, key, attempt), countdown=heartbeat.lifetime())
        if step_image(task):
            result = engine_setup.run_step_in_image(task, reporter)
        else:
            result = engine_run_step(task, reporter, capture_output=True, chdir=True)
    reporter.flush()
    events: list[Event] = []
    if result.get("status") == "succeeded":
        outputs = {port: OutputRecord.from_dict(info) for port, info in result["outputs"].items()}
        decision = Decision.from_dict(task["decision"])
        record_success(
            engine_setup.cache_for(run), decision, outputs, str(run_id), engine_setup.scope(run)
        )
        events += [
            Event(EventType.STEP_OUTPUT, key, {"port": p, **r.to_dict()})
            for p, r in outputs.items()
        ]
        events.append(Event(EventType.STEP_SUCCEEDED, key, {"attempt": task["attempt"]}))
    else:
        failure = {
            "error": str(result.get("error") or "the step failed"),
            "attempt": task["attempt"],
            "traceback": result.get("traceback"),
        }
        events.append(Event(EventType.STEP_FAILED, key, failure))
    distributed.advance(run_id, completed=events, attempt=(key, attempt))


@shared_task(name="designer.runs.watch_step")
def watch_step(run_id: int, key: str, attempt: int) -> None:
    """Fail a running step attempt whose heartbeat stopped; while it beats, look again later."""
    if not distributed.attempt_running(run_id, key, attempt):
        return
    if heartbeat.alive(distributed.task_id(run_id, key, attempt)):
        watch_step.apply_async((run_id, key, attempt), countdown=heartbeat.lifetime())
        return
    lost = (
        f"The worker running this step stopped (no heartbeat for {heartbeat.lifetime():g} s): "
        "it was killed or lost its machine. Run again, or resume from this step."
    )
    failure = Event(EventType.STEP_FAILED, key, {"error": lost, "attempt": attempt})
    distributed.advance(run_id, completed=[failure], attempt=(key, attempt))
