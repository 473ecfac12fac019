"""The reconciler every Celery worker runs: no step or run waits on a worker that is gone.

A process beside each worker (started when the worker is ready, in the worker's process group,
gone when the worker is) sweeps once a second, or every heartbeat interval if that is shorter.
A process, not a thread of the worker's main process: pool processes fork from that one, and
must not inherit a database connection that is in use (SQLite's locks do not survive it).

- a running attempt whose heartbeat key expired (and that started a heartbeat lifetime ago:
  a Redis restart may lose a fresh key, which the next beat restores) is reported lost
  (retryable: the run state machine retries it on whichever worker takes the new task, or
  fails it naming the cause);
- a run whose saved wake-up (`Run.wake_at`: a deadline or a retry) has passed is advanced, in
  case the `advance_run` that should have done it was held by a worker that died;
- a run still queued after a heartbeat lifetime is advanced, in case its first `advance_run`
  died the same way;
- a queued attempt whose task was sent more than DESIGNER_RESEND_SECONDS ago (or never: its
  sender died after the commit, and the mark it set before committing expired) is sent again,
  in case the message was lost with the broker's data; a duplicate does nothing (only the
  first claim starts an attempt).

Every worker sweeps, so the check never dies with the worker it is checking; several sweeps
of the same thing are harmless, because each is a transition under the run's row lock that
drops a stale report. The time comparisons use the database's clock, heartbeats expire on
Redis's: a host's wall clock decides nothing.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import redis
from django.db import DatabaseError, close_old_connections, connection

from designer.runs import distributed, heartbeat
from designer.runs.models import Run, RunStatus

logger = logging.getLogger(__name__)
BATCH = 50  # runs advanced per sweep and kind, so one sweep stays short


def lost_result() -> dict[str, object]:
    """The result reported for an attempt whose worker stopped beating."""
    error = (
        f"The worker running this step stopped (no heartbeat for {heartbeat.lifetime():g} s): "
        "it was killed or lost its machine."
    )
    return {"status": "failed", "error": error, "error_type": "WorkerLost", "retryable": True}


def sweep() -> int:
    """One pass over lost attempts and overdue runs; how many transitions it asked for."""
    done = 0
    now = distributed.database_clock()()
    # a heartbeat a Redis restart lost (its last second of writes) is renewed within an interval
    attempts = distributed.running_attempts(started_before=now - heartbeat.lifetime())
    names = [distributed.task_id(*attempt) for attempt in attempts]
    for attempt, beating in zip(attempts, heartbeat.alive(names), strict=True):
        if not beating:
            distributed.report(*attempt, lost_result())
            done += 1
    queued = distributed.queued_attempts()
    names = [distributed.task_id(*attempt) for attempt in queued]
    for attempt, sent in zip(queued, heartbeat.sent_lately(names), strict=True):
        if not sent:
            distributed.resend(*attempt)
            done += 1
    celery = Run.objects.filter(runner="celery")
    due = celery.filter(status=RunStatus.RUNNING, wake_at__lte=now)
    queued_before = datetime.fromtimestamp(now - heartbeat.lifetime(), tz=UTC)
    stale = celery.filter(status=RunStatus.QUEUED, created_at__lte=queued_before)
    for runs in (due, stale):
        for run_id in runs.order_by("pk").values_list("pk", flat=True)[:BATCH]:
            distributed.advance(run_id)
            done += 1
    return done


def period() -> float:
    """Seconds between two sweeps."""
    return min(1.0, heartbeat.interval())


def _loop(parent: int) -> None:
    while os.getppid() == parent:  # until the worker is gone
        time.sleep(period())
        close_old_connections()
        try:
            sweep()
        except (DatabaseError, redis.RedisError) as exc:  # an outage: the next sweep tries
            logger.warning("reconciler sweep failed: %s", exc)
            connection.close()
        except Exception:
            logger.exception("reconciler sweep failed")
            connection.close()


def start() -> subprocess.Popen[bytes]:
    """Start the reconciler process of this worker (with this process's environment)."""
    command = (  # the configured Celery app sends this process's tasks
        "import django, designer.celery; django.setup(); "
        "from designer.runs.reconciler import main; main()"
    )
    return subprocess.Popen([sys.executable, "-c", command, str(os.getpid())])


def main() -> None:
    """The reconciler process (Django set up): sweep until its worker, the parent it was
    given, is gone."""
    from designer.runs import tasks  # noqa: F401  the step tasks it sends, imported now: on
    # its first send they took ~2 s to import, while a run it had started waited for its steps

    parent = int(sys.argv[1])
    logger.info("reconciler of worker %s sweeping every %g s", parent, period())
    _loop(parent)
