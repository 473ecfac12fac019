"""Statements of a Celery transition's hot path bound on the server, prepared, pipelined.

Django's cursors bind parameters in the client (each value quoted into the text in Python,
the query split anew when it has more than 50 parameters) and send the text in the simple
protocol, which PostgreSQL parses and plans at every execution. A fan-out's sibling reports
and claims run the same few statements thousands of times: here they go with the extended
protocol (values bound by psycopg's C dumpers), are prepared on the server once per connection
after `prepare_threshold` executions (DATABASES OPTIONS, settings.DESIGNER_DB_PREPARE: off
behind a pooler that cannot keep prepared statements), and several statements go in one
pipeline: one round trip, with the transaction's BEGIN before them when it is the first. Errors
are Django's, as from its own cursors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def cursors(count: int) -> Iterator[list[psycopg.Cursor[Any]]]:
    """`count` server-binding cursors on the thread's connection, in one pipeline: execute a
    statement on each, then fetch (the first fetch sends them all and waits once)."""
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    with db.wrap_database_errors, ExitStack() as stack:
        stack.enter_context(db.connection.pipeline())
        yield [stack.enter_context(psycopg.Cursor(db.connection)) for _ in range(count)]


def fetch_all(statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement, all sent in one round trip (see `cursors`)."""
    with cursors(len(statements)) as opened:
        for cursor, (sql, params) in zip(opened, statements, strict=True):
            cursor.execute(sql, params)
        return [cursor.fetchall() for cursor in opened]
