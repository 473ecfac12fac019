"""Model instances from plain statements: a hot read without compiling an ORM query each time.

Compiling a small ORM query costs ~0.3 ms of CPU, running it on SQLite ~0.02 ms. The per-request
reads of the API's hottest paths (a token's user, a membership, a graph and its newest version)
are written as SQL once and loaded here as the ORM would load them; fields not read stay deferred
and load when touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


def columns(model: type[Model], names: Sequence[str], table: str = "") -> str:
    """The quoted columns of `names` (field names), each prefixed with `table.` when given."""
    quote = connections[model.objects.db].ops.quote_name  # type: ignore[attr-defined]
    prefix = f"{table}." if table else ""
    return ", ".join(prefix + quote(model._meta.get_field(name).column) for name in names)


def column(model: type[Model], name: str) -> str:
    """One field's quoted column."""
    return columns(model, [name])


def table(model: type[Model]) -> str:
    """The model's quoted table."""
    return connections[model.objects.db].ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


def load(model: type[M], names: Sequence[str], values: Sequence[Any]) -> M:
    """An instance from the values of `names` as a statement read them (converted as the ORM
    converts them, e.g. SQLite's datetimes made aware, JSON parsed); the other fields deferred."""
    return load_all(model, names, [values])[0]


def load_all(model: type[M], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[M]:
    """`load` for each of `rows`."""
    alias = model.objects.db  # type: ignore[attr-defined]
    db = connections[alias]
    attnames, converted = _layout(model, tuple(names), alias)
    # the fields the ORM converts (found once, see _layout), with this connection's converters
    converters = [
        (at, col, db.ops.get_db_converters(col) + field.get_db_converters(db))
        for at, field, col in converted
    ]
    instances = []
    for values in rows:
        loaded = list(values)
        for at, col, field_converters in converters:
            for convert in field_converters:
                loaded[at] = convert(loaded[at], col, db)
        instances.append(model.from_db(alias, attnames, loaded))
    return instances


@cache
def _layout(
    model: type[Model], names: tuple[str, ...], alias: str
) -> tuple[list[str], list[tuple[int, Field[Any, Any], Any]]]:
    """The attnames of `names`, and those fields the ORM converts when it reads them (with
    their column expression): which fields have converters depends on the field and the
    database's backend only."""
    db = connections[alias]
    fields: list[Field[Any, Any]] = [model._meta.get_field(name) for name in names]  # type: ignore[misc]
    converted = []
    for at, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        if db.ops.get_db_converters(col) + field.get_db_converters(db):
            converted.append((at, field, col))
    return [field.attname for field in fields], converted
