"""What the runs app tells other apps: a run finished (sent after the commit that saved it)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# sent once the transaction that saved a run's final state has committed: run_id, status
run_finished = Signal()


def finished_on_commit(envelopes: list[dict[str, Any]]) -> None:
    """After the commit, send `run_finished` for a `run.finished` among a run's `envelopes`.

    Receivers run where the commit happens (a coordinator's event writer, a Celery worker, a
    request): they must hand slow work to a thread of their own. One that raises is logged;
    nothing reaches the run's path.
    """
    for envelope in envelopes:
        if envelope["type"] == "run.finished":
            transaction.on_commit(
                partial(_send, envelope["run_id"], envelope["data"]["status"]), robust=True
            )


def _send(run_id: int, status: str) -> None:
    for receiver, outcome in run_finished.send_robust(sender=None, run_id=run_id, status=status):
        if isinstance(outcome, Exception):
            logger.error("%s failed on run %s finishing: %r", receiver, run_id, outcome)
