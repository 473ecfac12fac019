"""Engine events → saved StepRun/Run state and protocol messages (one transaction per batch)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from designer.engine.events import Event, EventType
from designer.engine.scheduler import outcome_counts
from designer.runs import engine_setup, logs
from designer.runs.eventlog import Message, json_param
from designer.runs.models import Run, RunStatus, StepRun, StepStatus

STEP_STATUS = {
    EventType.STEP_QUEUED: StepStatus.QUEUED,
    EventType.STEP_STARTED: StepStatus.RUNNING,
    EventType.STEP_SUCCEEDED: StepStatus.SUCCEEDED,
    EventType.STEP_REUSED: StepStatus.REUSED,
    EventType.STEP_FAILED: StepStatus.FAILED,
    EventType.STEP_RETRYING: StepStatus.RETRYING,
    EventType.STEP_CANCELED: StepStatus.CANCELED,
    EventType.STEP_UPSTREAM_FAILED: StepStatus.UPSTREAM_FAILED,
}
FINAL_STEP = {
    StepStatus.SUCCEEDED,
    StepStatus.REUSED,
    StepStatus.FAILED,
    StepStatus.CANCELED,
    StepStatus.UPSTREAM_FAILED,
}


def step_status_message(step: StepRun) -> Message:
    """The step.status message for a step's saved state."""
    return (
        "step.status",
        {
            "step": step.key,
            "status": step.status,
            "attempt": step.attempts,
            "reason": step.reason,
            "error": step.error,
        },
    )


def attempt_entry(step: StepRun, number: int) -> dict[str, Any]:
    """The history entry of one attempt of a step (added when new)."""
    for entry in step.history:
        if entry["attempt"] == number:
            return entry
    entry = {
        "attempt": number,
        "status": StepStatus.QUEUED if number else "",  # 0: lines told before any attempt
        "started_at": None,
        "finished_at": None,
        "error": "",
        "lines": 0,
        "bytes": 0,
    }
    step.history = sorted([*step.history, entry], key=lambda e: e["attempt"])
    return entry


def _close_attempt(step: StepRun, number: int, status: str, when: str, error: str = "") -> None:
    if number < 1:
        return
    entry = attempt_entry(step, number)
    entry.update(status=status, finished_at=when, error=error)


def _moment(event: Event) -> datetime:
    """When an event happened, on the clock of the machine that emitted it (the database's on
    the Celery path: a worker whose wall clock jumped stamps nothing two hours off)."""
    return datetime.fromtimestamp(event.time, tz=UTC)


def _stamp(event: Event) -> str:
    return _moment(event).isoformat()


def _apply_attempt(step: StepRun, event: Event) -> None:
    """Keep the history entry of the attempt an event is about."""
    data, when = event.data, _stamp(event)
    attempt = int(data.get("attempt") or step.attempts)
    if event.type == EventType.STEP_QUEUED and "attempt" in data:
        attempt_entry(step, attempt)["status"] = StepStatus.QUEUED
    elif event.type == EventType.STEP_STARTED:
        attempt_entry(step, attempt).update(status=StepStatus.RUNNING, started_at=when)
    elif event.type == EventType.STEP_SUCCEEDED:
        _close_attempt(step, attempt, StepStatus.SUCCEEDED, when)
    elif event.type == EventType.STEP_FAILED:
        _close_attempt(step, attempt, StepStatus.FAILED, when, str(data.get("error", "")))
    elif event.type == EventType.STEP_RETRYING:  # `attempt` is the next one
        _close_attempt(step, attempt - 1, StepStatus.FAILED, when, str(data.get("error", "")))
        step.retry_at = datetime.fromtimestamp(event.time + float(data.get("delay", 0)), tz=UTC)
    elif event.type == EventType.STEP_CANCELED:
        _cancel_attempt(step, when)


def _cancel_attempt(step: StepRun, when: str) -> None:
    if step.history and step.history[-1]["status"] in (StepStatus.QUEUED, StepStatus.RUNNING):
        step.history[-1].update(status=StepStatus.CANCELED, finished_at=when)


def _apply_status(step: StepRun, event: Event) -> None:
    data = event.data
    status = STEP_STATUS[event.type]
    now = _moment(event)
    _apply_attempt(step, event)
    step.status = status
    if status != StepStatus.RETRYING:
        step.retry_at = None
    if "attempt" in data and event.type != EventType.STEP_RETRYING:
        step.attempts = int(data["attempt"])
    if "reason" in data and event.type in (
        EventType.STEP_QUEUED,
        EventType.STEP_STARTED,
        EventType.STEP_REUSED,
    ):
        step.reason = str(data["reason"])
    if "fingerprint" in data:
        step.fingerprint = str(data["fingerprint"])
    if event.type == EventType.STEP_REUSED:
        step.reused_from = str(data.get("run") or "")
    if event.type == EventType.STEP_STARTED:
        step.started_at = step.started_at or now
        step.error = ""
    elif event.type in (EventType.STEP_FAILED, EventType.STEP_RETRYING):
        step.error = str(data.get("error", ""))
    elif event.type == EventType.STEP_UPSTREAM_FAILED:
        step.reason = f"not run: upstream step {data.get('upstream', '?')} failed"
    if status in FINAL_STEP:
        step.finished_at = now
        step.progress = None if status != StepStatus.SUCCEEDED else step.progress


def _apply_output(step: StepRun, data: dict[str, Any]) -> Message:
    info = {
        "digest": data["digest"],
        "kind": data.get("kind", ""),
        "size": int(data.get("size", 0)),
        "summary": data.get("summary") or {},
    }
    step.outputs = {**step.outputs, data["port"]: info}
    return ("step.output", {"step": step.key, "port": data["port"], **info})


def _apply_progress(step: StepRun, data: dict[str, Any]) -> Message:
    maximum = data.get("max") or 1
    value = min(max(float(data.get("value", 0)), 0.0), float(maximum))
    step.progress = {"value": value, "max": float(maximum)}
    return ("step.progress", {"step": step.key, **step.progress})


def finish_counts(run: Run, statuses: list[str] | None = None) -> dict[str, int]:
    """How many of a run's steps ended each way (from `statuses`, or the saved rows)."""
    if statuses is None:
        statuses = list(run.steps.values_list("status", flat=True))
    return outcome_counts(statuses)


def finish_run(
    run: Run,
    status: str,
    error: str = "",
    steps: dict[str, StepRun] | None = None,
    now: datetime | None = None,
) -> list[Message]:
    """Mark a locked run finished (steps not final become canceled); return its messages.

    With `steps` (every StepRun of the run, held in memory and not yet saved: a run finished in
    the request that created it) the rows and the run are changed in place and the caller saves
    them; otherwise they are saved here. `now`: when it finished (this process's clock).
    """
    messages: list[Message] = []
    now = now or timezone.now()
    unfinished = (
        [s for s in steps.values() if s.status not in FINAL_STEP]
        if steps is not None
        else run.steps.exclude(status__in=FINAL_STEP)
    )
    for step in unfinished:
        step.status = StepStatus.CANCELED
        step.finished_at = now
        step.retry_at = None
        _cancel_attempt(step, now.isoformat())
        if steps is None:
            step.save(update_fields=["status", "finished_at", "retry_at", "history"])
        messages.append(step_status_message(step))
    run.status = status
    run.error = error or run.error
    run.finished_at = now
    run.started_at = run.started_at or now
    if steps is None:
        run.save(update_fields=["status", "error", "finished_at", "started_at"])
    duration = max((run.finished_at - run.started_at).total_seconds(), 0.0)
    counts = finish_counts(run, [s.status for s in steps.values()] if steps is not None else None)
    messages.append(("run.status", {"status": status}))
    messages.append(("run.finished", {"status": status, "counts": counts, "duration": duration}))
    return messages


def start_run_state(run: Run, save: bool = True, now: datetime | None = None) -> list[Message]:
    """Mark a locked run running (at `now`, else this process's clock); return its message
    (nothing when it already runs). `save=False` leaves saving the run to the caller.
    """
    if run.status != RunStatus.QUEUED:
        return []
    run.status = RunStatus.RUNNING
    run.started_at = now or timezone.now()
    if save:
        run.save(update_fields=["status", "started_at"])
    return [("run.status", {"status": RunStatus.RUNNING})]


def apply_events(
    run: Run,
    events: list[Event],
    steps: dict[str, StepRun] | None = None,
    *,
    loaded: dict[str, StepRun] | None = None,
    pending: list[tuple[str, list[Any]]] | None = None,
) -> list[Message]:
    """Save what a batch of engine events says about a locked run; return the messages to log.

    Log lines are stored as a chunk of the attempt's log (logs.append_lines) and sent in capped
    batches per step and stream.
    With `steps` (every StepRun of the run by key, held in memory and not yet saved: a run
    finished in the request that created it) the rows and the run are only changed in place,
    and the caller saves them. `loaded`: rows the caller read under the run's lock, used
    rather than read again (the steps of other events are read here). `pending`: the changed
    rows' UPDATEs are added to it (statements and parameters) for the caller to run, e.g. in
    the events' own statement (eventlog.append's `before`), rather than run here, and the run's
    start (`status`, `started_at`) is left to the caller to save (eventlog.append's
    `run_fields`).
    """
    in_memory = steps is not None
    if steps is None:
        steps = dict(loaded or {})
        missing = {e.step for e in events if e.step} - steps.keys()
        if missing:
            steps.update((s.key, s) for s in run.steps.filter(key__in=missing))
    dirty: set[str] = set()
    messages: list[Message] = []
    pending_logs: dict[tuple[str, int, str], list[str]] = defaultdict(list)

    def flush_logs(key: str | None = None) -> None:
        for (step_key, attempt, stream), lines in list(pending_logs.items()):
            if key is not None and step_key != key:
                continue
            del pending_logs[(step_key, attempt, stream)]
            messages.extend(_append_log(run, steps[step_key], attempt, stream, lines))
            dirty.add(step_key)

    for event in events:
        if event.type == EventType.RUN_STARTED:
            save = not in_memory and pending is None
            messages += start_run_state(run, save=save, now=_moment(event))
            continue
        if event.type == EventType.RUN_FINISHED:
            flush_logs()
            status = str(event.data.get("status", RunStatus.FAILED))
            if in_memory:
                messages += finish_run(run, status, steps=steps, now=_moment(event))
                continue
            _save(steps, dirty)
            dirty.clear()
            messages += finish_run(run, status, now=_moment(event))
            continue
        step = steps.get(event.step or "")
        if step is None:
            continue
        if event.type == EventType.STEP_LOG:
            lines = [part for line in event.data.get("lines", []) for part in str(line).split("\n")]
            attempt = int(event.data.get("attempt") or step.attempts)
            pending_logs[(step.key, attempt, str(event.data.get("stream", "log")))] += lines
            continue
        if event.type in (EventType.STEP_FAILED, EventType.STEP_RETRYING):
            # the failure is in the failed attempt's log too: its traceback, else its message
            told = event.data.get("traceback") or event.data.get("error") or ""
            attempt = int(event.data.get("attempt") or step.attempts)
            if event.type == EventType.STEP_RETRYING:
                attempt -= 1  # the engine names the attempt to come
            if told and attempt >= 1:
                pending_logs[(step.key, attempt, "stderr")] += str(told).rstrip("\n").split("\n")
        flush_logs(step.key)
        dirty.add(step.key)
        if event.type == EventType.STEP_OUTPUT:
            messages.append(_apply_output(step, event.data))
        elif event.type == EventType.STEP_PROGRESS:
            messages.append(_apply_progress(step, event.data))
        elif event.type in STEP_STATUS:
            _apply_status(step, event)
            messages.append(step_status_message(step))
    flush_logs()
    if not in_memory and pending is not None and dirty:
        sql, rows = step_update([steps[key] for key in sorted(dirty)])
        pending.extend((sql, values) for values in rows)
    elif not in_memory:
        _save(steps, dirty)
    return messages


def _append_log(
    run: Run, step: StepRun, attempt: int, stream: str, lines: list[str]
) -> list[Message]:
    """Append lines to an attempt's log and tail; the step.log messages that carry them."""
    entry = attempt_entry(step, attempt)
    logs.append_lines(engine_setup.log_store(), entry, stream, lines)
    step.log_tail = logs.tail(step.log_tail, lines)
    messages: list[Message] = []
    for chunk in logs.batches(lines):
        data = {"step": step.key, "stream": stream, "lines": chunk}
        messages.append(("step.log", {**data, "attempt": attempt, "offset": entry["lines"]}))
        entry["lines"] += len(chunk)
    return messages


STEP_FIELDS = (
    "status",
    "attempts",
    "reason",
    "error",
    "outputs",
    "progress",
    "log_tail",
    "fingerprint",
    "started_at",
    "finished_at",
    "history",
    "retry_at",
    "reused_from",
)


def _prep(field: Any, json: bool, value: Any, db: Any) -> Any:
    """A value as a raw SQL parameter for its column (JSON through eventlog.json_param)."""
    return json_param(field, value, db) if json else field.get_db_prep_save(value, db)


@cache
def _step_update(vendor: str) -> tuple[str, tuple[tuple[Any, bool], ...]]:
    """The UPDATE of `step_update` on a database of `vendor`, and its fields (each with
    whether it is JSON): made once, not at every transition."""
    db = connections[DEFAULT_DB_ALIAS]
    fields = tuple(StepRun._meta.get_field(name) for name in STEP_FIELDS)
    table = db.ops.quote_name(StepRun._meta.db_table)
    columns = ", ".join(f"{db.ops.quote_name(f.column)} = %s" for f in fields)
    flagged = tuple((f, f.get_internal_type() == "JSONField") for f in fields)
    return f"UPDATE {table} SET {columns} WHERE id = %s", flagged


def step_update(steps: list[StepRun]) -> tuple[str, list[list[Any]]]:
    """The UPDATE that saves a step row's STEP_FIELDS, and its parameters for each of `steps`."""
    db = connections[DEFAULT_DB_ALIAS]
    sql, fields = _step_update(db.vendor)
    rows = [
        [_prep(f, json, getattr(step, f.attname), db) for f, json in fields] + [step.pk]
        for step in steps
    ]
    return sql, rows


def _save(steps: dict[str, StepRun], dirty: set[str]) -> None:
    """Write the changed steps with one prepared UPDATE (bulk_update's CASE SQL is far slower)."""
    if not dirty:
        return
    sql, rows = step_update([steps[key] for key in sorted(dirty)])
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.executemany(sql, rows)
