"""Hands a committed run to the configured runner: the in-process coordinator or Celery."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from designer.runs.broker import BrokerUnavailable

# Runs created before this moment belong to an earlier server process (see coordinator.recover).
PROCESS_STARTED = timezone.now()
logger = logging.getLogger(__name__)


def start(run_id: int, priority: int = 0) -> None:
    """Start executing a queued run (called after the transaction that created it commits;
    `priority`: its Celery tasks' broker priority, `Run.priority`)."""
    if settings.DESIGNER_RUNNER == "celery":
        from designer.runs import distributed, services
        from designer.runs.models import RunStatus

        try:
            distributed.advance_later(run_id, priority=priority)
        except Exception as exc:  # the broker went away since `broker.require`: fail the run
            logger.exception("could not queue run %s on Celery", run_id)
            error = f"Could not queue the run: the task broker is unreachable ({exc})."
            services.finish(run_id, RunStatus.FAILED, error)
            raise BrokerUnavailable("queued", failed_run=run_id) from exc
    else:
        from designer.runs import coordinator

        coordinator.get().start(run_id)


def cancel(run_id: int) -> None:
    """Stop a run's steps that are still executing (its state is already saved as canceled)."""
    if settings.DESIGNER_RUNNER == "celery":
        from designer.runs import distributed

        try:
            distributed.stop_tasks(run_id)
        except Exception:  # saved as canceled: results that still come are ignored
            logger.warning("could not revoke the steps of canceled run %s", run_id, exc_info=True)
    else:
        from designer.runs import coordinator

        coordinator.get().cancel(run_id)
