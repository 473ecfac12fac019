"""A transactional test's teardown flush survives a deadlock with another process's transaction
(tests/support/flush.py): the tests' Celery workers and servers may still write at its end."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import TransactionTestCase

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _truncated_tables() -> list[str]:
    """The tables the flush's TRUNCATE locks, in its order."""
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    (statement,) = connection.ops.sql_flush(no_style(), tables)
    listed = statement.removeprefix("TRUNCATE ").split(";")[0]
    return [name.strip().strip('"') for name in listed.split(",")]


def _flush_waits() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # read afresh inside a transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'TRUNCATE%%'"
            " AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


def test_a_flush_that_loses_a_deadlock_is_tried_again() -> None:
    get_user_model().objects.create_user("left-behind")
    first, *_, last = _truncated_tables()
    holding, done = threading.Event(), threading.Event()

    def writer() -> None:
        """Hold the TRUNCATE's last table, then ask for its first: a deadlock."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SELECT 1 FROM "{last}" LIMIT 1')
            holding.set()
            deadline = time.monotonic() + 30
            while not _flush_waits():
                assert time.monotonic() < deadline
                time.sleep(0.05)
            cursor.execute(f'SELECT 1 FROM "{first}" LIMIT 1')
        connection.close()
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(30)
    TransactionTestCase()._fixture_teardown()  # deadlocked once, the flush is the victim
    thread.join(30)
    assert done.is_set()
    assert not get_user_model().objects.exists()
