"""A Celery transition's hot statements (runs.bound_sql) on PostgreSQL: prepared on the server
unless a pooler forbids it, several in one round trip, their errors Django's."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, connection, transaction

from designer.runs import bound_sql, siblings

# statements are bound on the server on PostgreSQL only: make test runs these in its
# PostgreSQL pass and leaves them out of the SQLite one (tests/conftest.py)
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _share(times: int) -> list[list[list[tuple[object, ...]]]]:
    """The sibling report's locked read of a run that does not exist, `times` times."""
    results = []
    for _ in range(times):
        with transaction.atomic():
            results.append(bound_sql.fetch_all([(siblings._share_sql(), [0]), ("SELECT 1", [])]))
    return results


def test_a_hot_statement_is_prepared_on_the_server_once_it_repeats() -> None:
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    assert threshold is not None  # settings.DESIGNER_DB_PREPARE, on by default
    assert _share(threshold + 1)[-1] == [[], [(1,)]]
    assert any("FOR KEY SHARE" in statement for statement in _prepared())


def test_nothing_is_prepared_when_a_pooler_cannot_keep_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DESIGNER_DB_PREPARE=0 (DATABASES OPTIONS prepare_threshold None): behind PgBouncer in
    transaction mode a prepared statement would be missing on the next server connection."""
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    assert _share(8)[-1] == [[], [(1,)]]
    assert not any("FOR KEY SHARE" in statement for statement in _prepared())


def test_a_bound_statements_error_is_djangos_and_the_transaction_rolls_back() -> None:
    """A lock that times out raises Django's OperationalError, which the worker's retries
    (tasks._patiently) know, as from Django's own cursors."""
    data = connection.settings_dict
    dsn = f"host={data['HOST']} port={data['PORT']} dbname={data['NAME']} user={data['USER']}"
    with psycopg.connect(f"{dsn} password={data['PASSWORD']}") as other:
        other.execute("CREATE TABLE held (id int PRIMARY KEY)")
        other.execute("INSERT INTO held VALUES (1)")
        other.commit()
        other.execute("SELECT id FROM held WHERE id = 1 FOR UPDATE")
        with pytest.raises(OperationalError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '100ms'")
            bound_sql.fetch_all([("SELECT 1", []), ("SELECT id FROM held FOR SHARE", [])])
        other.rollback()
        other.execute("DROP TABLE held")
        other.commit()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)
