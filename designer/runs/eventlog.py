"""The run event log: append protocol messages under the Run row lock, publish after commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from designer.realtime.broadcast import publish_run_events
from designer.realtime.protocol import validate_event_data
from designer.runs.models import Run, RunEvent

Message = tuple[str, dict[str, Any]]


def lock_run(run_id: int) -> Run:
    """Lock and return a run row; call inside a transaction (seq allocation happens under it)."""
    return Run.objects.select_for_update().get(pk=run_id)


def append(run: Run, messages: list[Message]) -> list[dict[str, Any]]:
    """Store messages as RunEvents with the next seqs of a locked `run`; publish them on commit.

    Call inside the transaction that saved the state the messages describe, with `run` locked
    by lock_run, so a state is never announced before it is saved and seqs never collide.
    """
    if not messages:
        return []
    envelopes = []
    rows = []
    for offset, (kind, data) in enumerate(messages, start=1):
        clean = validate_event_data(kind, data)
        seq = run.seq + offset
        rows.append(RunEvent(run_id=run.pk, seq=seq, type=kind, data=clean))
        envelopes.append({"type": kind, "run_id": run.pk, "seq": seq, "data": clean})
    RunEvent.objects.bulk_create(rows)
    run.seq += len(rows)
    Run.objects.filter(pk=run.pk).update(seq=run.seq)
    workspace = run.workspace_id
    transaction.on_commit(lambda: publish_run_events(workspace, envelopes))
    return envelopes
