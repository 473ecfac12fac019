"""A transactional test's flush, tried again when PostgreSQL ended it as a deadlock's victim."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError
from django.test import TransactionTestCase

# deadlock_detected, lock_not_available: the TRUNCATE met a transaction of another process
# the test started (a Celery worker's pool process, notice thread or reconciler, a server)
RETRIED = {"40P01", "55P03"}
TRIES = 3


def _lost_to_a_lock(error: CommandError) -> bool:
    database_error = error.__cause__
    return getattr(getattr(database_error, "__cause__", None), "sqlstate", None) in RETRIED


def retry_deadlocked_flushes() -> None:
    """Make every transactional test's teardown flush again (up to TRIES times) when its
    TRUNCATE lost a deadlock to a process still writing: the statement is rolled back whole,
    so the next try starts from the same tables, and the next test never finds this one's rows."""
    flush = TransactionTestCase._fixture_teardown

    def patient_flush(self: Any) -> None:
        for attempt in range(1, TRIES + 1):
            try:
                return flush(self)
            except CommandError as error:
                if attempt == TRIES or not _lost_to_a_lock(error):
                    raise
                time.sleep(0.2)

    TransactionTestCase._fixture_teardown = patient_flush  # type: ignore[method-assign]
