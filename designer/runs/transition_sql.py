"""A Celery transition's reads in SQL written once rather than built by the ORM (PostgreSQL).

The run row locked with the database clock, and every step's state with the whole rows of the
steps a transition decides on (runs.distributed). Django compiled both queries anew at every
transition (a sixth of a chain step's time in a worker profile); here they are fixed strings.
When the caller already knows which steps it needs (the run's plan is known to this process),
both go in one simple-protocol query, two statements: one round trip. Under READ COMMITTED
each statement reads its own snapshot, so the steps' SELECT, which starts once the lock is
held, sees every transition committed before it, as when it was sent on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from django.db import connection

from designer.runs.eventlog import UNLOCKED_FIELDS
from designer.runs.models import Run, StepRun, StepStatus
from designer.workspaces import rows

DATABASE_NOW = "EXTRACT(EPOCH FROM clock_timestamp())"  # PostgreSQL's clock, epoch seconds
WHOLE_ONLY = ("outputs", "progress", "log_tail", "history")  # read only for whole rows
RUN_FIELDS = tuple(f for f in Run._meta.concrete_fields if f.name not in UNLOCKED_FIELDS)
STEP_FIELDS = tuple(StepRun._meta.concrete_fields)
RUN_NAMES = [f.name for f in RUN_FIELDS]
STEP_NAMES = [f.name for f in STEP_FIELDS]


@cache
def _lock_sql() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in RUN_FIELDS)
    return (
        f"SELECT {columns}, {DATABASE_NOW} FROM {quote(Run._meta.db_table)}"
        " WHERE id = %s FOR UPDATE"
    )


@cache
def _steps_sql() -> str:
    """Every step row of a run, with `whole` (all of them, the step keys named, or queued
    attempts when asked) and the WHOLE_ONLY columns of those rows only (NULL otherwise)."""
    quote = connection.ops.quote_name
    columns = ", ".join(
        f"CASE WHEN whole THEN {quote(f.column)} END" if f.name in WHOLE_ONLY else quote(f.column)
        for f in STEP_FIELDS
    )
    return (
        f"SELECT whole, {columns} FROM (SELECT *, (%s OR key = ANY(%s) OR (%s AND status = %s"
        f" AND attempts > 0)) AS whole FROM {quote(StepRun._meta.db_table)} WHERE run_id = %s) s"
    )


def _steps_params(run_id: int, keys: Iterable[str] | None, queued: bool) -> list[Any]:
    return [keys is None, list(keys or ()), queued, StepStatus.QUEUED, run_id]


def _run(found: tuple[Any, ...] | None) -> tuple[Run, float]:
    if found is None:
        raise Run.DoesNotExist
    return rows.load(Run, RUN_NAMES, found[:-1]), float(found[-1])


def step_columns() -> str:
    """The columns of a whole StepRun row, in the order `step_rows` reads them."""
    return ", ".join(connection.ops.quote_name(f.column) for f in STEP_FIELDS)


def step_rows(found: list[Any]) -> list[StepRun]:
    """StepRun objects from database rows of `step_columns`."""
    return rows.load_all(StepRun, STEP_NAMES, found)


def _steps(found: list[Any]) -> list[tuple[bool, StepRun]]:
    wholes = [bool(row[0]) for row in found]
    return list(zip(wholes, step_rows([row[1:] for row in found]), strict=True))


def lock_run(run_id: int) -> tuple[Run, float]:
    """The run's row locked FOR UPDATE (without UNLOCKED_FIELDS), and the database's clock."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(), [run_id])
        return _run(cursor.fetchone())


def steps(run_id: int, keys: Iterable[str] | None, queued: bool) -> list[tuple[bool, StepRun]]:
    """Every step row of the run, each with whether it is whole: every row when `keys` is
    None, else those of `keys` (and of queued attempts if `queued`); the others lack WHOLE_ONLY."""
    with connection.cursor() as cursor:
        cursor.execute(_steps_sql(), _steps_params(run_id, keys, queued))
        return _steps(cursor.fetchall())


def lock_run_and_steps(
    run_id: int, keys: Iterable[str] | None, queued: bool
) -> tuple[Run, float, list[tuple[bool, StepRun]]]:
    """`lock_run` and then `steps`, in one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"{_lock_sql()}; {_steps_sql()}", [run_id, *_steps_params(run_id, keys, queued)]
        )
        found = cursor.fetchone()
        cursor.nextset()
        return (*_run(found), _steps(cursor.fetchall()))


def is_queued(run_id: int, key: str, attempt: int) -> bool:
    """Whether attempt `attempt` of step `key` is still queued (a claim's look without the
    lock, made for every message, most of which a fan-out's in-place starts made stale)."""
    table = connection.ops.quote_name(StepRun._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE run_id = %s AND key = %s AND attempts = %s"
            " AND status = %s LIMIT 1",
            [run_id, key, attempt, StepStatus.QUEUED],
        )
        return cursor.fetchone() is not None
