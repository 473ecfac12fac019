"""The distributed path: each step is a Celery task; a step's completion advances its run.

`advance(run_id)` runs under the Run row lock: it asks the engine's pure scheduler which steps
are ready, decides each one against the cache (reuse now, or queue a task), marks steps whose
upstream failed, and finishes the run when every step is final. A step task starts only if its
StepRun is still `queued` for that attempt (checked under the row lock), so no step is started
twice, and everything lives in the database and Redis: the web server can restart meanwhile.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from designer.engine.artifacts import OutputRecord
from designer.engine.cache import Decision, decide, record_reuse
from designer.engine.events import Event, EventType
from designer.engine.execute import requested_reason
from designer.engine.plan import Plan
from designer.engine.scheduler import (
    blocked_steps,
    failed_upstream,
    is_finished,
    ready_steps,
    run_outcome,
)
from designer.engine.worker import make_task
from designer.runs import engine_setup, eventlog, translate
from designer.runs.models import Run, RunStatus, StepRun, StepStatus


def task_id(run_id: int, key: str, attempt: int) -> str:
    """The Celery task id of one attempt of one step (deterministic, so it can be revoked)."""
    return f"run{run_id}-{key}-{attempt}"


def advance_later(run_id: int) -> None:
    """Queue an advance of the run on the workers (called after the run is committed)."""
    from designer.runs.tasks import advance_run

    advance_run.delay(run_id)


def stop_tasks(run_id: int) -> None:
    """Revoke (and terminate) the step tasks of a canceled run."""
    from designer.celery import app

    steps = StepRun.objects.filter(run_id=run_id, attempts__gt=0).values_list("key", "attempts")
    ids = [task_id(run_id, key, attempts) for key, attempts in steps]
    if ids:
        app.control.revoke(ids, terminate=True)


def _upstream(steps: dict[str, StepRun]) -> dict[str, dict[str, OutputRecord]]:
    return {
        key: {port: OutputRecord.from_dict(info) for port, info in step.outputs.items()}
        for key, step in steps.items()
        if step.status in (StepStatus.SUCCEEDED, StepStatus.REUSED)
    }


def _decide(run: Run, plan: Plan, key: str, steps: dict[str, StepRun]) -> Decision:
    return decide(
        plan.step(key),
        _upstream(steps),
        engine_setup.cache_for(run),
        engine_setup.artifact_store(),
        scope=engine_setup.scope(run),
        requested=requested_reason(plan),
    )


def advance(
    run_id: int, completed: list[Event] | None = None, attempt: tuple[str, int] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Save a finished step's events (if any) and move the run forward, in one transaction.

    With `attempt` (step key, attempt number) the events are the outcome of that attempt and
    are dropped, run unchanged, unless the step is still running that attempt (a result that
    comes after its worker was declared lost). Returns the step tasks to send (after commit).
    """
    to_send: list[tuple[str, dict[str, Any]]] = []
    with transaction.atomic():
        run = eventlog.lock_run(run_id)
        if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED):
            return []
        if attempt is not None and not attempt_running(run_id, *attempt):
            return []
        run = Run.objects.select_related("graph_version").get(pk=run_id)
        done_messages = translate.apply_events(run, completed) if completed else []
        plan = Plan.from_dict(run.plan)
        steps = {s.key: s for s in run.steps.all()}
        statuses = {k: s.status for k, s in steps.items()}
        events: list[Event] = []
        if run.status == RunStatus.QUEUED:
            events.append(Event(EventType.RUN_STARTED))
        for key in blocked_steps(plan, statuses):
            upstream = failed_upstream(plan, statuses, key) or "?"
            statuses[key] = StepStatus.UPSTREAM_FAILED
            events.append(Event(EventType.STEP_UPSTREAM_FAILED, key, {"upstream": upstream}))
        ready = ready_steps(plan, statuses)
        while ready:
            reused_any = False
            for key in ready:
                decision = _decide(run, plan, key, steps)
                if decision.action == "reuse" and decision.entry is not None:
                    record_reuse(
                        engine_setup.cache_for(run), decision, str(run.pk), engine_setup.scope(run)
                    )
                    steps[key].outputs = {p: r.to_dict() for p, r in decision.entry.outputs.items()}
                    steps[key].status = statuses[key] = StepStatus.REUSED
                    events += [
                        Event(EventType.STEP_OUTPUT, key, {"port": p, **r.to_dict()})
                        for p, r in decision.entry.outputs.items()
                    ]
                    events.append(
                        Event(
                            EventType.STEP_REUSED,
                            key,
                            {"reason": decision.reason, "fingerprint": decision.fingerprint},
                        )
                    )
                    reused_any = True
                elif decision.action == "missing":
                    statuses[key] = StepStatus.FAILED
                    events.append(
                        Event(EventType.STEP_FAILED, key, {"error": decision.reason, "attempt": 0})
                    )
                    for blocked in blocked_steps(plan, statuses):
                        statuses[blocked] = StepStatus.UPSTREAM_FAILED
                        events.append(
                            Event(EventType.STEP_UPSTREAM_FAILED, blocked, {"upstream": key})
                        )
                else:
                    statuses[key] = StepStatus.QUEUED
                    attempt = steps[key].attempts + 1
                    events.append(
                        Event(
                            EventType.STEP_QUEUED,
                            key,
                            {"reason": decision.reason, "fingerprint": decision.fingerprint},
                        )
                    )
                    to_send.append((key, _task(run, plan, key, decision, attempt)))
            ready = ready_steps(plan, statuses) if reused_any else []
        messages = done_messages + translate.apply_events(run, events)
        if is_finished(plan, statuses):
            messages += translate.finish_run(run, run_outcome(plan, statuses))
        eventlog.append(eventlog.lock_run(run_id), messages)
        transaction.on_commit(lambda: _send(run_id, to_send))
    return to_send


def attempt_running(run_id: int, key: str, attempt: int) -> bool:
    """Whether this attempt of the step is the one running now."""
    return StepRun.objects.filter(
        run_id=run_id, key=key, status=StepStatus.RUNNING, attempts=attempt
    ).exists()


def _task(run: Run, plan: Plan, key: str, decision: Decision, attempt: int) -> dict[str, Any]:
    task = make_task(
        plan.step(key),
        decision.inputs,
        run_id=str(run.pk),
        attempt=attempt,
        store=engine_setup.artifact_store().root,
        datasets=engine_setup.dataset_root(run),
    )
    task["decision"] = decision.to_dict()
    return task


def _send(run_id: int, tasks: list[tuple[str, dict[str, Any]]]) -> None:
    from designer.runs.tasks import run_step

    for key, task in tasks:
        run_step.apply_async((run_id, key, task), task_id=task_id(run_id, key, task["attempt"]))
