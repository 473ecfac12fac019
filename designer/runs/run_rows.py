"""A new Run row by one INSERT whose SQL is built once per database, not compiled per run.

`Run.objects.create` compiles its INSERT each time (~0.07 ms of the ~0.14 ms it takes, SQLite);
every POST of a run makes one. `insert` saves a new run as `Model.save` does — each field's
`pre_save` (`created_at`'s auto_now_add) and database value, pre_save and post_save sent with the
same arguments, the new id read back — with that SQL (decision 0042).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Field
from django.db.models.signals import post_save, pre_save

from designer.runs.models import Run


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
