"""Apply SQL transformation: SQLite over one to three input tables, run in the sandbox.

The worker loads the inputs as tables t1..t3 into an in-memory SQLite database (pandas'
`to_sql`, as before) and hands its image to the SQL harness (designer/sandbox/harness/sql.py),
which runs the statements in the sandbox with a time limit and sends the rows back as JSON.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from collections.abc import Mapping
from typing import Any

import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import comparable, frame, optional_frame
from designer.modules.sandboxed import limits_from, run_harness
from designer.sandbox.harness import protocol
from designer.sandbox.limits import MB


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


# What SQLite's message names: the token a syntax error is near, or the missing column, table or
# function (possibly qualified, t1.x).
_CULPRIT = re.compile(r'near "(?P<near>[^"]+)": syntax error|no such \w+: (?P<name>[\w.]+)')


def _error_line(sql: str, statement: str, message: str) -> int:
    """The line of the query an SQLite error is about: the line of the token it names when that
    token occurs once in the statement, else the statement's first line."""
    first = _line_of(sql, statement)
    match = _CULPRIT.search(message)
    if not match:
        return first
    token = match.group("near") or match.group("name")
    bounded = re.compile(rf"(?<![\w.]){re.escape(token)}(?![\w])", re.IGNORECASE)
    found = [m.start() for m in bounded.finditer(statement)]
    return first + statement[: found[0]].count("\n") if len(found) == 1 else first


def database_image(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """An SQLite database holding each table under its name, as bytes."""
    with sqlite3.connect(":memory:") as db:
        for name, table in tables.items():
            try:
                comparable(table).to_sql(name, db, index=False)  # lists, records as JSON text
            except (sqlite3.Error, pd.errors.DatabaseError, ValueError, TypeError) as exc:
                message = f"{name}: cannot load the table into SQLite: {exc}"
                raise StepError(message, port=name) from exc
        return db.serialize()


def _blob(item: dict[str, Any]) -> Any:
    return base64.b64decode(item["$b64"]) if set(item) == {"$b64"} else item


def sql_transform(ctx: StepContext) -> Mapping[str, Any]:
    """Run the query over the inputs as tables t1..t3 in the sandbox; return the last result."""
    sql = str(ctx.params.get("query") or "")
    statements = split_statements(sql)
    if not statements:
        raise StepError("query: enter an SQL query, e.g. SELECT * FROM t1", param="query")
    tables = {"t1": frame(ctx, "t1", allow_empty=True)}
    for name in ("t2", "t3"):
        table = optional_frame(ctx, name)
        if table is not None:
            tables[name] = table
    limits = limits_from(ctx.params)
    start = {"statements": statements, "timeout": limits.wall_seconds}
    finished = run_harness(
        ctx,
        "sql.py",
        [protocol.encode(start, database_image(tables))],
        limits=limits,
        site=False,
        what="the query",
    )
    header, payload = finished.end or ({}, b"")
    if header.get("kind") == "timeout":
        raise StepError(
            f"timeout: the query did not finish within {limits.wall_seconds:g} s and was stopped",
            param="timeout",
        )
    if header["type"] == "error":
        number = int(header["number"])
        statement = statements[number - 1]
        if header.get("kind") == "memory":
            raise StepError(
                f"memory_mb: the rows of statement {number} (line {_line_of(sql, statement)}) "
                f"do not fit in the step's memory (limit {limits.memory_bytes // MB} MB); "
                f"select fewer rows or columns (WHERE, LIMIT, GROUP BY) or raise memory_mb"
                f"\n    {statement}",
                param="memory_mb",
            )
        which = f" (statement {number})" if len(statements) > 1 else ""
        raise StepError(
            f"query: line {_error_line(sql, statement, header['message'])}: "
            f"{header['message']}{which}\n    {statement}",
            param="query",
        )
    columns = header.get("columns")
    if columns is None:
        raise StepError(
            "query: the last statement must be a SELECT that returns rows", param="query"
        )
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise StepError("query: the query's result could not be read")
    rows = json.loads(payload, object_hook=_blob)
    result = pd.DataFrame.from_records(rows, columns=columns)
    if result.columns.duplicated().any():
        dupes = sorted(set(result.columns[result.columns.duplicated()]))
        raise StepError(
            f"query: the result has duplicate column names {dupes}; use AS", param="query"
        )
    ctx.log(f"query returned {len(result)} rows, {result.shape[1]} columns")
    return {"dataset": result}
