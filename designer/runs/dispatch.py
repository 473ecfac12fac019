"""Hands a committed run to the configured runner: the in-process coordinator or Celery."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

# Runs created before this moment belong to an earlier server process (see coordinator.recover).
PROCESS_STARTED = timezone.now()
logger = logging.getLogger(__name__)


def start(run_id: int) -> None:
    """Start executing a queued run (called after the transaction that created it commits)."""
    if settings.DESIGNER_RUNNER == "celery":
        from designer.runs import distributed, services
        from designer.runs.models import RunStatus

        try:
            distributed.advance_later(run_id)
        except Exception as exc:  # the broker is unreachable: say so on the run, not as a 500
            logger.exception("could not queue run %s on Celery", run_id)
            services.finish(run_id, RunStatus.FAILED, f"Could not queue the run on Celery: {exc}")
    else:
        from designer.runs import coordinator

        coordinator.get().start(run_id)


def cancel(run_id: int) -> None:
    """Stop a run's steps that are still executing (its state is already saved as canceled)."""
    if settings.DESIGNER_RUNNER == "celery":
        from designer.runs import distributed

        distributed.stop_tasks(run_id)
    else:
        from designer.runs import coordinator

        coordinator.get().cancel(run_id)
