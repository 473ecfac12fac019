"""A fan-out sibling's report, and a worker's claim of a queued step, saved beside the other
siblings' transitions instead of after them.

Every other transition of a Celery run (runs.distributed) holds the run row FOR UPDATE: it sees
and changes the run alone, and the transitions of one run queue for that lock. In a fan-out,
most reports are of a step that nothing reads, and most of them start a queued step in the
same transaction for the reporting process to run next: those only change the two steps'
rows. Such a report (`report`) takes the run row FOR KEY SHARE instead — which waits for, and
holds off, every FOR UPDATE transition, but not the other sibling reports — then the reported
step's row FOR UPDATE and the first queued step's row FOR UPDATE SKIP LOCKED (so two reports
never pick the same one), decides on those rows alone, and appends its events with seqs taken
in its last statement (eventlog.append_beside). Sibling reports of one run thus only queue for
that statement and the commit.

A claim (`claim`) is simpler still: starting a queued attempt changes that step's row alone,
in any plan (the machine emits its `step.started`; nothing becomes ready, nothing settles). It
takes the run row FOR KEY SHARE, then the attempt's row FOR UPDATE on the condition that it is
still queued as that attempt — a statement of its own whose row, when it waited for a sibling
report that held the row and started it in place, is re-read as committed and so no longer
matches: the claim is then stale and drops its task, as before.

The invariant this relies on: a step's success changes no other step and not the run when
nothing reads the step (no step becomes ready) and the same transaction starts another step
(a run with a running step is not settled, so it does not finish); and while a report or a
claim holds the run row FOR KEY SHARE, nothing changes a step row but sibling reports, each
of its own two rows, and claims, each of its own row. The machine is rebuilt from those rows
and the finished rows they read, it decides what a machine rebuilt from every row would, and
the report (or claim) checks it did (its events are about its steps only, nothing sent,
nothing revoked, the run not settled). Any other case — no queued step left (the last reports
may settle the run), a step that others read, a failure, a stale report, a run this process
does not know yet for a report — goes the whole way (`None`: runs.distributed takes the run
lock).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db import connection, transaction

from designer.engine.events import Event
from designer.engine.machine import RunMachine, attempt_task_id
from designer.engine.plan import Plan
from designer.runs import bound_sql, distributed, eventlog, transition_sql, translate
from designer.runs.models import Run, RunStatus, StepRun, StepStatus

KNOWN_PLANS = 64


@dataclass
class _Facts:
    """What a report needs of a run's plan, worked out once per process and plan (it was at
    every report): the steps others read, and whether a step has every other one upstream."""

    plan: Plan
    read: frozenset[str]
    last: dict[str, bool] = field(default_factory=dict)  # step -> every other step upstream

    def beside(self, key: str) -> bool:
        """Whether a report of `key` may go beside the others: nothing reads the step, and a
        step may be queued beside it (not when every other step is upstream of it: finished)."""
        if key in self.read:
            return False
        if key not in self.last:
            self.last[key] = len(self.plan.upstream(key)) == len(self.plan.order) - 1
        return not self.last[key]


_FACTS: dict[int, _Facts] = {}  # run id -> the facts of the plan this process knows it by


def _facts(run_id: int, plan: Plan) -> _Facts:
    known = _FACTS.get(run_id)
    if known is None or known.plan is not plan:
        if len(_FACTS) >= KNOWN_PLANS:
            _FACTS.clear()
        read = frozenset(k for k in plan.order if plan.dependents[k])
        known = _FACTS[run_id] = _Facts(plan, read)
    return known


class _NotBeside(Exception):
    """This report needs the whole run: undo what it did and take the run lock."""


def applies(run_id: int, key: str, result: dict[str, Any]) -> bool:
    """Whether `report` may save this result: a success, on PostgreSQL, of a step that (when
    this process knows the run's plan) may go beside the others (`_Facts.beside`)."""
    if connection.vendor != "postgresql" or result.get("status") != "succeeded":
        return False
    created = distributed._CREATED.get(run_id)
    return created is None or _facts(run_id, distributed._setup(run_id, created).plan).beside(key)


def report(
    run_id: int, key: str, attempt: int, result: dict[str, Any], logs: Sequence[Event] = ()
) -> tuple[bool, tuple[str, dict[str, Any]] | None]:
    """Save a sibling's successful result (after `logs`, its last log and progress events)
    beside the others' and start a queued step for this process (see the module docstring).
    (True, the step to run here) when saved; (True, None) when the run is final (nothing
    saved, as runs.distributed would); (False, None) when the report needs the whole run."""
    try:
        with transaction.atomic():
            return True, _report(run_id, key, attempt, result, logs)
    except _NotBeside:
        return False, None


def _report(
    run_id: int, key: str, attempt: int, result: dict[str, Any], logs: Sequence[Event]
) -> tuple[str, dict[str, Any]] | None:
    created = distributed._CREATED.get(run_id)  # known: the rows come with the run's lock
    reads = None
    if created is not None:
        known_plan = distributed._setup(run_id, created).plan
        _check_beside(run_id, known_plan, key)
        reads = known_plan.step(key).dependencies
    status, created_now, now, rows = _locked_run(
        run_id, () if reads is None else _report_statements(run_id, key, reads)
    )
    if status in distributed.FINAL_RUN:
        return None
    if status != RunStatus.RUNNING:
        raise _NotBeside
    if created is not None and created_now != created:
        raise _NotBeside  # another run had this id: the whole way
    setup = distributed._setup(run_id, created_now)
    plan = setup.plan
    if created is None:
        _check_beside(run_id, plan, key)
        rows = _lock_rows(run_id, key, plan.step(key).dependencies)
    reported = rows.get(key)
    queued = next((row for k, row in rows.items() if k != key and _is_queued(row)), None)
    if reported is None or queued is None:
        raise _NotBeside
    if reported.status != StepStatus.RUNNING or reported.attempts != attempt:
        raise _NotBeside  # stale, or not running: the machine with every row decides
    missing = set(plan.step(queued.key).dependencies) - rows.keys()
    if missing:
        more = StepRun.objects.filter(run_id=run_id, key__in=missing)
        rows.update((row.key, row) for row in more)
    clock = distributed.database_clock(now)
    launcher = distributed.CeleryLauncher(setup.run, plan, clock)
    events: list[Event] = list(logs)
    known = {k: distributed.known_step(distributed.row_state(row), row) for k, row in rows.items()}
    machine = distributed.machine_for(launcher, events, known)
    machine.message(attempt_task_id(str(run_id), key, attempt), "done", result)
    launcher.start_here(machine, queued.key)
    here = launcher.here
    if here is None or here[0] != queued.key:
        raise _NotBeside
    _save_beside(setup.run, launcher, machine, events, rows, [reported, queued])
    return here


def claim(run_id: int, key: str, attempt: int) -> bool | None:
    """Start a queued attempt whose task a worker took, beside the other sibling transitions
    (PostgreSQL): the run row FOR KEY SHARE, the attempt's row FOR UPDATE while it is still
    queued as that attempt, the rows of the steps it reads (finished). A claim changes no row
    but its step's, whatever the plan. True when started; False when stale (the attempt is no
    longer queued: started in place meanwhile, or the run is final); None when it needs the
    whole run (runs.distributed takes the run lock)."""
    if connection.vendor != "postgresql":
        return None
    try:
        with transaction.atomic():
            return _claim(run_id, key, attempt)
    except _NotBeside:
        return None


def _claim(run_id: int, key: str, attempt: int) -> bool:
    created = distributed._CREATED.get(run_id)
    reads = None if created is None else distributed._setup(run_id, created).plan.step(key)
    status, created_now, now, rows = _locked_run(
        run_id, () if reads is None else _claim_statements(run_id, key, attempt, reads.dependencies)
    )
    if status in distributed.FINAL_RUN:
        return False
    if status != RunStatus.RUNNING or (created is not None and created_now != created):
        raise _NotBeside  # not started yet, or another run had this id: the whole way
    setup = distributed._setup(run_id, created_now)
    plan = setup.plan
    if created is None:
        distributed.remember(run_id, created_now)
        rows = _claim_rows(run_id, key, attempt, plan.step(key).dependencies)
    claimed = rows.get(key)
    if claimed is None:
        return False  # not queued as this attempt any more (its row, read once locked, says)
    clock = distributed.database_clock(now)
    launcher = distributed.CeleryLauncher(setup.run, plan, clock)
    events: list[Event] = []
    known = {k: distributed.known_step(distributed.row_state(row), row) for k, row in rows.items()}
    machine = distributed.machine_for(launcher, events, known)
    if not machine.started(attempt_task_id(str(run_id), key, attempt)):
        raise _NotBeside
    launcher.beat(distributed.task_id(run_id, key, attempt))
    _save_beside(setup.run, launcher, machine, events, rows, [claimed])
    return True


def _save_beside(
    run: Run,
    launcher: distributed.CeleryLauncher,
    machine: RunMachine,
    events: list[Event],
    rows: dict[str, StepRun],
    changed: list[StepRun],
) -> None:
    """Save a transition that changed only the `changed` step rows (their UPDATE in the events'
    statement; the started step's heartbeat written meanwhile), the launcher's work after the
    commit; _NotBeside if it went further (a send, a kill, the run's end, another step)."""
    touched = {row.key for row in changed}
    if (
        launcher.sends
        or launcher.kills
        or machine.settled
        or any(event.step not in touched for event in events)
    ):
        raise _NotBeside
    messages = translate.apply_events(run, events, steps=rows)  # changed in place
    sql, saved = translate.step_update(changed)  # saved in the events' statement
    writes = launcher.redis_writes()
    try:
        _, moved = eventlog.append_beside(
            run.pk,
            run.workspace_id,
            messages,
            machine.next_wake(),
            before=[(sql, values) for values in saved],
        )
    finally:
        writes.wait()
    launcher.wake_at = machine.next_wake() if moved else None
    transaction.on_commit(launcher.carry_out)


@cache
def _claim_sql() -> tuple[str, str]:
    """The statements of `_claim_rows`: the attempt's row locked with its columns (a row that
    a sibling report held and started meanwhile is seen as it committed, so not returned), and
    the rows of the steps it reads."""
    table = connection.ops.quote_name(StepRun._meta.db_table)
    columns = transition_sql.step_columns()
    return (
        f"SELECT {columns} FROM {table} WHERE run_id = %s AND key = %s AND attempts = %s"
        " AND status = %s FOR UPDATE",
        f"SELECT {columns} FROM {table} WHERE run_id = %s AND key = ANY(%s)",
    )


def _claim_statements(
    run_id: int, key: str, attempt: int, reads: tuple[str, ...]
) -> list[tuple[str, list[Any]]]:
    mine, theirs = _claim_sql()
    return [(mine, [run_id, key, attempt, StepStatus.QUEUED]), (theirs, [run_id, list(reads)])]


def _claim_rows(run_id: int, key: str, attempt: int, reads: tuple[str, ...]) -> dict[str, StepRun]:
    """The queued attempt's row (locked FOR UPDATE; absent when it is not queued as `attempt`)
    and the rows of the steps it reads, in one round trip."""
    return _keyed(bound_sql.fetch_all(_claim_statements(run_id, key, attempt, reads)))


def _check_beside(run_id: int, plan: Plan, key: str) -> None:
    """_NotBeside unless a report of `key` may go beside the others (`_Facts.beside`)."""
    if not _facts(run_id, plan).beside(key):
        raise _NotBeside


def _locked_run(
    run_id: int, then: Sequence[tuple[str, list[Any]]] = ()
) -> tuple[str, Any, float, dict[str, StepRun]]:
    """The run's status and creation time, and the database clock, with the run row locked FOR
    KEY SHARE; then, in the same round trip (bound_sql), the statements `then` (each with its
    parameters; each reads what was committed before the lock was granted), whose step rows it
    returns by key: a report's `_report_statements`, a claim's `_claim_statements`."""
    found, *rows = bound_sql.fetch_all([(_share_sql(), [run_id]), *then])
    if not found:
        raise _NotBeside
    status, created, now = found[0]
    return status, created, float(now), _keyed(rows)


def _keyed(results: list[list[Any]]) -> dict[str, StepRun]:
    """The step rows of statements' results, by key."""
    return {row.key: row for row in transition_sql.step_rows([r for rs in results for r in rs])}


def _is_queued(row: StepRun) -> bool:
    return row.status == StepStatus.QUEUED and row.attempts > 0


@cache
def _share_sql() -> str:
    """The statement of `_locked_run` (PostgreSQL: the only database a report or a claim goes
    beside on), written once per process."""
    table = connection.ops.quote_name(Run._meta.db_table)
    return (
        f"SELECT status, created_at, {distributed.DATABASE_NOW} FROM {table}"
        " WHERE id = %s FOR KEY SHARE"
    )


@cache
def _rows_sql() -> str:
    """The statement of `_lock_rows` (written once per process)."""
    table = connection.ops.quote_name(StepRun._meta.db_table)
    return (
        f"WITH mine AS (SELECT id FROM {table} WHERE run_id = %s AND key = %s FOR UPDATE),"
        f" next AS (SELECT id FROM {table} WHERE run_id = %s AND status = %s AND attempts > 0"
        " AND key <> %s ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
        f" SELECT {transition_sql.step_columns()} FROM {table} WHERE run_id = %s"
        " AND (id IN (SELECT id FROM mine UNION ALL SELECT id FROM next) OR key = ANY(%s))"
    )


def _report_statements(
    run_id: int, key: str, reads: tuple[str, ...]
) -> list[tuple[str, list[Any]]]:
    params = [run_id, key, run_id, StepStatus.QUEUED, key, run_id, list(reads)]
    return [(_rows_sql(), params)]


def _lock_rows(run_id: int, key: str, reads: tuple[str, ...]) -> dict[str, StepRun]:
    """Whole rows, in one statement: step `key`'s (locked FOR UPDATE), the first queued
    attempt's that no other report holds (FOR UPDATE SKIP LOCKED), and the steps `key` reads
    (finished: they do not change)."""
    return _keyed(bound_sql.fetch_all(_report_statements(run_id, key, reads)))
