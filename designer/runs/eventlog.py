"""The run event log: append protocol messages under the Run row lock, publish after commit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, QuerySet
from django.utils import timezone
from pydantic_core import to_json

from designer.realtime.broadcast import publish_run_events
from designer.realtime.protocol import RUN_LEVEL_EVENTS, event_model, validate_event_data
from designer.runs import bound_sql
from designer.runs.models import Run, RunEvent, RunRecord
from designer.runs.packed import pack
from designer.runs.signals import finished_on_commit

Message = tuple[str, dict[str, Any]]

# The large JSON columns a lock does not need: event translation reads only status, seq, times.
UNLOCKED_FIELDS = ("inline_plan", "parameters", "options")
EVENT_FIELDS = ("run", "seq", "type", "data", "created_at")


def json_param(field: Field[Any, Any], value: Any, db: BaseDatabaseWrapper) -> Any:
    """A JSON column's parameter for raw SQL: what `field.get_db_prep_save` gives, cheaper.

    The JSON text comes from pydantic's serializer, about three times faster than `json.dumps`
    (compact and UTF-8, the same data when read back; NaN and infinities as json.dumps writes
    them): as the text SQLite stores, or in psycopg's `Jsonb` on PostgreSQL (where Django's own
    adapter passes json.dumps). Other databases, and fields with an encoder, get Django's.
    """
    if value is None or getattr(field, "encoder", None) is not None:
        return field.get_db_prep_save(value, db)
    if db.vendor == "sqlite":
        return _dumps(value)
    if db.vendor == "postgresql":
        from django.db.backends.postgresql.psycopg_any import Jsonb

        return Jsonb(value, dumps=_dumps)
    return field.get_db_prep_save(value, db)


def json_text_param(field: Field[Any, Any], text: str, db: BaseDatabaseWrapper) -> Any:
    """`json_param` for a value already encoded as JSON text (as `_dumps` would encode it)."""
    if getattr(field, "encoder", None) is not None or db.vendor not in ("sqlite", "postgresql"):
        return field.get_db_prep_save(json.loads(text), db)
    if db.vendor == "sqlite":
        return text
    from django.db.backends.postgresql.psycopg_any import Jsonb

    return Jsonb(text, dumps=str)


def _dumps(value: Any) -> str:
    return to_json(value).decode()


INSERT_CHUNK = 1000  # rows per multi-row INSERT (PostgreSQL allows 65,535 parameters)


def insert_rows(
    db: BaseDatabaseWrapper,
    table: str,
    columns: list[str],
    rows: list[list[Any]],
    before: Sequence[tuple[str, list[Any]]] = (),
) -> None:
    """INSERT rows, in order, with prepared parameters.

    SQLite: one executemany (the statement is prepared once, in-process). Elsewhere: multi-row
    VALUES statements of INSERT_CHUNK rows, since PostgreSQL runs each row of an executemany as
    a statement of its own (measured ~15 ms for 200 events, against a few ms in one statement).
    `before` (PostgreSQL only): data-modifying statements and their parameters that the first
    INSERT runs as WITH clauses, in the same round trip.
    """
    into = f"INSERT INTO {db.ops.quote_name(table)} ({', '.join(map(db.ops.quote_name, columns))})"
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.executemany(f"{into} VALUES {row_sql}", rows)
            return
        clauses = ", ".join(f"first{i} AS ({sql})" for i, (sql, _) in enumerate(before))
        prefix = f"WITH {clauses} " if before else ""
        prefix_params = [value for _, values in before for value in values]
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            params = [*prefix_params, *(value for row in chunk for value in row)]
            cursor.execute(f"{prefix}{into} VALUES {', '.join([row_sql] * len(chunk))}", params)
            prefix, prefix_params = "", []


def lock_run(run_id: int) -> Run:
    """Lock and return a run row; call inside a transaction (seq allocation happens under it).

    The plan, parameters and options are not loaded (Django reads them on first access).
    """
    return locked_run(run_id).get()


def locked_run(run_id: int) -> QuerySet[Run]:
    """The query of `lock_run` (to add to it)."""
    return Run.objects.select_for_update().defer(*UNLOCKED_FIELDS).filter(pk=run_id)


def _update_run(
    db: BaseDatabaseWrapper, run_id: int, changed: dict[str, Any]
) -> tuple[str, list[Any]]:
    """An UPDATE of a run's fields `changed` (values prepared for `db`), and its parameters."""
    fields = [Run._meta.get_field(name) for name in changed]
    columns = ", ".join(f"{db.ops.quote_name(f.column)} = %s" for f in fields)
    params = [f.get_db_prep_save(changed[f.name], db) for f in fields]
    return f"UPDATE {db.ops.quote_name(Run._meta.db_table)} SET {columns} WHERE id = %s", [
        *params,
        run_id,
    ]


def _envelopes(run: Run, messages: list[Message]) -> list[dict[str, Any]]:
    """The messages checked against the protocol, as envelopes with the run's next seqs."""
    return [
        {"type": kind, "run_id": run.pk, "seq": seq, "data": validate_event_data(kind, data)}
        for seq, (kind, data) in enumerate(messages, start=run.seq + 1)
    ]


def append(
    run: Run,
    messages: list[Message],
    run_fields: tuple[str, ...] = (),
    before: Sequence[tuple[str, list[Any]]] = (),
) -> list[dict[str, Any]]:
    """Store messages as RunEvents with the next seqs of a locked `run`; publish them on commit.

    Call inside the transaction that saved the state the messages describe, with `run` locked
    by lock_run (or created in that transaction), so a state is never announced before it is
    saved and seqs never collide. The rows go in through `insert_rows` (one statement for all).
    `run_fields` are other fields of `run` saved in the same UPDATE as its new seq. `before`:
    statements (with their parameters) that save the state first (translate.apply_events'
    `pending`): on PostgreSQL in the same statement as the events.
    """
    db = connections[DEFAULT_DB_ALIAS]  # the thread's connection itself, not the proxy
    if not messages or db.vendor != "postgresql":
        with db.cursor() as cursor:
            for sql, params in before:
                cursor.execute(sql, params)
        before = ()
    if not messages:
        return []
    envelopes = _envelopes(run, messages)
    fields = [RunEvent._meta.get_field(name) for name in EVENT_FIELDS]
    data_field = fields[3]
    created = fields[4].get_db_prep_save(timezone.now(), db)
    rows = [
        [run.pk, e["seq"], e["type"], json_param(data_field, e["data"], db), created]
        for e in envelopes
    ]
    run.seq += len(rows)
    changed = {"seq": run.seq, **{name: getattr(run, name) for name in run_fields}}
    columns = [f.column for f in fields]
    if db.vendor == "postgresql":  # the run's new seq in the events' statement: one round trip
        saves = [*before, _update_run(db, run.pk, changed)]
        insert_rows(db, RunEvent._meta.db_table, columns, rows, saves)
    else:
        insert_rows(db, RunEvent._meta.db_table, columns, rows)
        Run.objects.filter(pk=run.pk).update(**changed)
    workspace = run.workspace_id
    transaction.on_commit(lambda: publish_run_events(workspace, envelopes))
    finished_on_commit(envelopes)
    return envelopes


def append_beside(
    run_id: int,
    workspace_id: int,
    messages: list[Message],
    wake_at: float | None,
    before: Sequence[tuple[str, list[Any]]] = (),
) -> tuple[list[dict[str, Any]], bool]:
    """`append` for a transaction that holds the run row only FOR KEY SHARE (runs.siblings),
    on PostgreSQL: one statement takes the next seqs from the row (its UPDATE locks the row
    until the commit, so appends beside each other get their seqs in commit order, without
    gaps) and inserts the events with them; the run's `wake_at` becomes `wake_at` when that
    is earlier. `before`: data-modifying statements (with their parameters) run in the same
    statement, as WITH clauses. Returns the envelopes (published on commit) and whether
    `wake_at` moved."""
    if not messages:
        return [], False
    db = connections[DEFAULT_DB_ALIAS]
    fields = [RunEvent._meta.get_field(name) for name in EVENT_FIELDS]
    created = fields[4].get_db_prep_save(timezone.now(), db)
    count = len(messages)
    cleaned = [(kind, validate_event_data(kind, data)) for kind, data in messages]
    quote = db.ops.quote_name
    clauses = [f"saved{i} AS ({sql})" for i, (sql, _) in enumerate(before)]
    values, params = [], [value for _, values in before for value in values]
    params += [count, wake_at, wake_at, wake_at, run_id]
    for offset, (kind, clean) in enumerate(cleaned, start=1):
        values.append("(%s, (SELECT seq FROM bump) - %s, %s, %s, %s)")
        params += [run_id, count - offset, kind, json_param(fields[3], clean, db), created]
    sql = (
        f"WITH {''.join(clause + ', ' for clause in clauses)}"
        f"bump AS (UPDATE {quote(Run._meta.db_table)} SET seq = seq + %s, wake_at = CASE"
        " WHEN %s::float8 IS NOT NULL AND (wake_at IS NULL OR wake_at > %s) THEN %s"
        " ELSE wake_at END WHERE id = %s RETURNING seq, wake_at)"
        f" INSERT INTO {quote(RunEvent._meta.db_table)}"
        f" ({', '.join(quote(f.column) for f in fields)}) VALUES {', '.join(values)}"
        " RETURNING seq, (SELECT wake_at FROM bump)"
    )
    (returned,) = bound_sql.fetch_all([(sql, params)])
    returned.sort()
    envelopes = [
        {"type": kind, "run_id": run_id, "seq": seq, "data": clean}
        for (kind, clean), (seq, _) in zip(cleaned, returned, strict=True)
    ]
    moved = wake_at is not None and returned[0][1] == wake_at
    transaction.on_commit(lambda: publish_run_events(workspace_id, envelopes))
    finished_on_commit(envelopes)
    return envelopes, moved


def store_inline(
    run: Run, messages: list[Message], steps: list[dict[str, Any]], run_fields: tuple[str, ...]
) -> None:
    """Save a new run's whole event log and its steps (runs/records.py) as one RunRecord.

    For a run created in this transaction and finished in it: `run.seq` becomes the log's
    length and `run_fields` are saved with it. One INSERT and one UPDATE (one round trip on
    PostgreSQL) instead of a row per step and per event. Each message is checked against the
    protocol as `append` checks it, and the log is encoded from the checked models in one pass
    (the same JSON as their dicts'). Only the run-level events are published on commit: no
    socket can watch a run before the transaction that creates it has committed, and one that
    joins after reads the finished state (seq included) in its snapshot, so the step events would
    reach nobody; the workspace's lists get theirs as usual.
    """
    checked = [(kind, event_model(kind, data)) for kind, data in messages]
    published = [
        (at, kind, model.model_dump(mode="json"))
        for at, (kind, model) in enumerate(checked)
        if kind in RUN_LEVEL_EVENTS
    ]
    _save_record(
        run, len(checked), to_json([list(pair) for pair in checked]), published, steps, run_fields
    )


def store_inline_built(
    run: Run, messages: list[Message], steps: list[dict[str, Any]], run_fields: tuple[str, ...]
) -> None:
    """`store_inline` for a log already in the protocol's JSON form, by runs/reused.py alone.

    Those messages are not checked one by one here: reused.py builds them from typed engine
    values and checks the ones read from outside the process (the cache index's outputs), and
    its tests pin every message it builds to what `store_inline`'s check gives for the same
    events (decision 0042).
    """
    published = [
        (at, kind, data) for at, (kind, data) in enumerate(messages) if kind in RUN_LEVEL_EVENTS
    ]
    _save_record(run, len(messages), encode_built(messages), published, steps, run_fields)


def encode_built(messages: list[Message]) -> bytes:
    """A log in the protocol's JSON form as [type, data] pairs, encoded as the checked models
    encode (NaN and infinities as null: the protocol models' JSON setting)."""
    return to_json([[kind, data] for kind, data in messages], inf_nan_mode="null")


def _save_record(
    run: Run,
    count: int,
    log: bytes,
    published: list[tuple[int, str, dict[str, Any]]],
    steps: list[dict[str, Any]],
    run_fields: tuple[str, ...],
) -> None:
    """Insert a new run's RunRecord (its `count` events encoded as `log`), save its seq and
    `run_fields`, and publish on commit its run-level messages `published` (each with its
    index in the log)."""
    first = run.seq + 1
    run.seq += count
    run.stored_inline = True
    db = connections[DEFAULT_DB_ALIAS]
    fields = [RunRecord._meta.get_field(name) for name in ("run", "steps", "events")]
    row = [run.pk, pack(to_json(steps, inf_nan_mode="null")), pack(log)]  # packed JSON text
    names = ("seq", "stored_inline", *run_fields)
    update = _update_run(db, run.pk, {name: getattr(run, name) for name in names})
    columns = [f.column for f in fields]
    if db.vendor == "postgresql":
        insert_rows(db, RunRecord._meta.db_table, columns, [row], [update])
    else:
        insert_rows(db, RunRecord._meta.db_table, columns, [row])
        with db.cursor() as cursor:
            cursor.execute(*update)
    workspace = run.workspace_id
    envelopes = [
        {"type": kind, "run_id": run.pk, "seq": first + at, "data": data}
        for at, kind, data in published
    ]
    transaction.on_commit(lambda: publish_run_events(workspace, envelopes))
    finished_on_commit(envelopes)
