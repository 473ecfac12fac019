"""The run event log: append protocol messages under the Run row lock, publish after commit."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from designer.realtime.broadcast import publish_run_events
from designer.realtime.protocol import validate_event_data
from designer.runs.models import Run, RunEvent

Message = tuple[str, dict[str, Any]]

# The large JSON columns a lock does not need: event translation reads only status, seq, times.
UNLOCKED_FIELDS = ("plan", "parameters", "options")
EVENT_FIELDS = ("run", "seq", "type", "data", "created_at")


def lock_run(run_id: int) -> Run:
    """Lock and return a run row; call inside a transaction (seq allocation happens under it).

    The plan, parameters and options are not loaded (Django reads them on first access).
    """
    return Run.objects.select_for_update().defer(*UNLOCKED_FIELDS).get(pk=run_id)


def append(run: Run, messages: list[Message]) -> list[dict[str, Any]]:
    """Store messages as RunEvents with the next seqs of a locked `run`; publish them on commit.

    Call inside the transaction that saved the state the messages describe, with `run` locked
    by lock_run (or created in that transaction), so a state is never announced before it is
    saved and seqs never collide. The rows go in through one prepared INSERT (executemany).
    """
    if not messages:
        return []
    envelopes = []
    rows = []
    now = timezone.now()
    fields = [RunEvent._meta.get_field(name) for name in EVENT_FIELDS]
    data_field = fields[3]
    created = fields[4].get_db_prep_save(now, connection)
    for offset, (kind, data) in enumerate(messages, start=1):
        clean = validate_event_data(kind, data)
        seq = run.seq + offset
        rows.append(
            [
                run.pk,
                seq,
                kind,
                data_field.get_db_prep_save(clean, connection),
                created,
            ]
        )
        envelopes.append({"type": kind, "run_id": run.pk, "seq": seq, "data": clean})
    table = connection.ops.quote_name(RunEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)
    run.seq += len(rows)
    Run.objects.filter(pk=run.pk).update(seq=run.seq)
    workspace = run.workspace_id
    transaction.on_commit(lambda: publish_run_events(workspace, envelopes))
    return envelopes
