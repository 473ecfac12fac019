"""Apply SQL transformation: SQLite over one to three input tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame, optional_frame


def split_statements(sql: str) -> list[str]:
    """Split SQL text into complete statements (semicolons inside strings are respected)."""
    statements: list[str] = []
    buffer = ""
    for char in sql:
        buffer += char
        if char == ";" and sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _line_of(sql: str, statement: str) -> int:
    return sql[: sql.find(statement)].count("\n") + 1 if statement in sql else 1


def sql_transform(ctx: StepContext) -> Mapping[str, Any]:
    """Load the inputs as tables t1..t3 in an in-memory SQLite database and run the query."""
    sql = str(ctx.params.get("query") or "")
    statements = split_statements(sql)
    if not statements:
        raise StepError("query: enter an SQL query, e.g. SELECT * FROM t1", param="query")
    tables = {"t1": frame(ctx, "t1", allow_empty=True)}
    for name in ("t2", "t3"):
        table = optional_frame(ctx, name)
        if table is not None:
            tables[name] = table
    with sqlite3.connect(":memory:") as db:
        for name, table in tables.items():
            try:
                table.to_sql(name, db, index=False)
            except (sqlite3.Error, ValueError, TypeError) as exc:
                message = f"{name}: cannot load the table into SQLite: {exc}"
                raise StepError(message, port=name) from exc
        result: pd.DataFrame | None = None
        for number, statement in enumerate(statements, start=1):
            try:
                cursor = db.execute(statement)
            except (sqlite3.Error, sqlite3.Warning) as exc:
                raise StepError(
                    f"query: SQL error in statement {number} (line {_line_of(sql, statement)}): "
                    f"{exc}\n    {statement}",
                    param="query",
                ) from exc
            if cursor.description is not None:
                columns = [d[0] for d in cursor.description]
                result = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    if result is None:
        raise StepError(
            "query: the last statement must be a SELECT that returns rows", param="query"
        )
    if result.columns.duplicated().any():
        dupes = sorted(set(result.columns[result.columns.duplicated()]))
        raise StepError(
            f"query: the result has duplicate column names {dupes}; use AS", param="query"
        )
    ctx.log(f"query returned {len(result)} rows, {result.shape[1]} columns")
    return {"dataset": result}
