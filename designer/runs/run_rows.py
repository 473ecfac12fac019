"""Run rows by plain statements whose SQL is built once per database, not compiled per run.

`Run.objects.create` compiles its INSERT each time (~0.07 ms of the ~0.14 ms it takes, SQLite);
every POST of a run makes one. `insert` saves a new run as `Model.save` does — each field's
`pre_save` (`created_at`'s auto_now_add) and database value, pre_save and post_save sent with the
same arguments, the new id read back — with that SQL. `refs` reads the runs a run's steps reused
from, which every answer with a run's steps shows: ~0.9 ms as an ORM query, ~0.05 ms so
(decision 0042).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, router, transaction
from django.db.models import Field
from django.db.models.signals import post_save, pre_save

from designer.graphs.models import GraphVersion
from designer.runs.models import Run
from designer.workspaces import rows


@cache
def _statement(alias: str) -> tuple[list[Field[Any, Any]], str, bool]:
    """The fields an INSERT of a run writes, its SQL, and whether it returns the new id."""
    db = connections[alias]
    quote = db.ops.quote_name
    meta = Run._meta
    fields: list[Field[Any, Any]] = [f for f in meta.concrete_fields if not f.primary_key]
    returning = db.features.can_return_columns_from_insert
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if returning:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return fields, sql, returning


def insert(run: Run) -> Run:
    """Save a new, unsaved `run` (its id set), as `run.save()` would."""
    alias = router.db_for_write(Run, instance=run)
    db = connections[alias]
    fields, sql, returning = _statement(alias)
    pre_save.send(sender=Run, instance=run, raw=False, using=alias, update_fields=None)
    params = [field.get_db_prep_save(field.pre_save(run, True), db) for field in fields]
    with transaction.mark_for_rollback_on_error(alias), db.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            run.pk = cursor.fetchone()[0]
        else:
            run.pk = db.ops.last_insert_id(cursor, Run._meta.db_table, Run._meta.pk.column)
    run._state.adding = False
    run._state.db = alias
    post_save.send(
        sender=Run, instance=run, created=True, update_fields=None, raw=False, using=alias
    )
    return run


# of the run row, in the model's field order (from_db)
REF_FIELDS = ("id", "status", "origin", "created_at")


def refs(workspace_id: int, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Who started the given runs of a workspace, when, how they went and their graph (runs
    elsewhere left out), newest first, as the ORM reads them (a run, its version, its creator)."""
    numbers = sorted({int(i) for i in ids if str(i).isdigit()})
    if not numbers:
        return {}
    alias = router.db_for_read(Run)
    with connections[alias].cursor() as cursor:
        cursor.execute(_refs_statement(alias, len(numbers)), [workspace_id, *numbers])
        found = cursor.fetchall()
    answer = {}
    for pk, status, origin, created_at, graph, username in found:
        run = rows.load(Run, REF_FIELDS, (pk, status, origin, created_at))  # the ORM's conversions
        answer[str(pk)] = {
            "id": run.pk,
            "created_at": run.created_at,
            "created_by": username,
            "origin": run.endpoint_call,
            "status": run.status,
            "graph": graph,
        }
    return answer


@lru_cache(maxsize=64)
def _refs_statement(alias: str, count: int) -> str:
    """The SELECT of `count` runs of a workspace, as the ORM orders runs (newest first)."""
    user = get_user_model()
    quote = connections[alias].ops.quote_name
    return (
        f"SELECT {rows.columns(Run, REF_FIELDS, 'r')},"
        f" {rows.columns(GraphVersion, ['graph'], 'v')}, {rows.columns(user, ['username'], 'u')}"
        f" FROM {rows.table(Run)} r"
        f" INNER JOIN {rows.table(GraphVersion)} v"
        f" ON v.{quote(GraphVersion._meta.pk.column)} = r.{rows.column(Run, 'graph_version')}"
        f" LEFT OUTER JOIN {rows.table(user)} u"
        f" ON u.{quote(user._meta.pk.column)} = r.{rows.column(Run, 'created_by')}"
        f" WHERE r.{rows.column(Run, 'workspace')} = %s"
        f" AND r.{rows.column(Run, 'id')} IN ({', '.join(['%s'] * count)})"
        f" ORDER BY r.{rows.column(Run, 'created_at')} DESC"
    )
