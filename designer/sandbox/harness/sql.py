"""Harness of Apply SQL transformation: SQLite over a database image, standard library only.

Stdin: a start frame {"statements", "timeout"} whose payload is the SQLite image holding the
input tables (built by the worker). The engine itself refuses what the sandbox also prevents:
no database can be attached (the ATTACHED limit is 0, and the authorizer denies ATTACH, which
is also how `VACUUM INTO` writes a file), extensions cannot be loaded, only read-only pragmas
run, and a progress handler stops the query at the time limit. Results: a {"type": "result",
"columns"} frame whose payload is the rows as JSON (blobs as {"$b64": …}), or an error frame.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import guard
import protocol

READ_ONLY_PRAGMAS = {
    "table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list",
    "foreign_key_list", "collation_list", "function_list", "module_list", "pragma_list",
    "database_list", "compile_options", "encoding", "user_version", "schema_version",
}  # fmt: skip
DENIED = {
    sqlite3.SQLITE_ATTACH: "ATTACH and VACUUM INTO",
    sqlite3.SQLITE_DETACH: "DETACH",
}


class Rules:
    """The authorizer and progress handler of the user's connection."""

    def __init__(self, timeout: float):
        self.deadline = time.monotonic() + timeout
        self.denied: str | None = None
        self.timed_out = False

    def authorize(self, action: int, arg1: Any, arg2: Any, db: Any, trigger: Any) -> int:
        reason = DENIED.get(action)
        if action == sqlite3.SQLITE_PRAGMA and str(arg1).lower() not in READ_ONLY_PRAGMAS:
            reason = f"PRAGMA {arg1}"
        if action == sqlite3.SQLITE_FUNCTION and str(arg2).lower() == "load_extension":
            reason = "load_extension()"
        if reason is None:
            return sqlite3.SQLITE_OK
        self.denied = reason
        return sqlite3.SQLITE_DENY

    def progress(self) -> int:
        if time.monotonic() > self.deadline:
            self.timed_out = True
            return 1  # interrupts the statement
        return 0


def _blob(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    raise TypeError(f"cannot send a {type(value).__name__}")


def main() -> int:
    out, start, image = guard.start()
    db = sqlite3.connect(":memory:")
    db.deserialize(image)
    del image
    db.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    rules = Rules(start["timeout"])
    db.set_authorizer(rules.authorize)
    db.set_progress_handler(rules.progress, 10_000)
    columns: list[str] | None = None
    rows: list[Any] = []
    number = 0
    try:
        for number, statement in enumerate(start["statements"], start=1):
            rules.denied = None
            try:
                cursor = db.execute(statement)
                if cursor.description is not None:
                    columns = [d[0] for d in cursor.description]
                    rows = cursor.fetchall()
            except (sqlite3.Error, sqlite3.Warning) as exc:
                if rules.timed_out:
                    protocol.write(out, {"type": "error", "kind": "timeout", "number": number})
                    return 1
                message = str(exc)
                if rules.denied:
                    message += f" ({rules.denied} is not available in this step)"
                protocol.write(
                    out, {"type": "error", "kind": "sql", "number": number, "message": message}
                )
                return 1
        if columns is None:
            protocol.write(out, {"type": "result", "columns": None})
            return 0
        data = json.dumps(rows, default=_blob).encode()
    except MemoryError:  # the rows (or their JSON) over the memory limit
        rows = []
        protocol.write(out, {"type": "error", "kind": "memory", "number": number})
        return 1
    protocol.write(out, {"type": "result", "columns": columns}, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
