"""Compiled plans stored once per workspace and content (SharedPlan), not once per run.

Every rerun of a version with the same values compiles to the same plan (~62 KB of JSON for
100 steps): a run points at its workspace's row for that plan, written the first time and
found by its digest afterwards (a read of its key: the plan is sent only when it is missing).
A plan's JSON text and digest are remembered for the plan dicts the plan cache hands out, so a
rerun neither encodes nor hashes its plan again (decision 0038).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from pydantic_core import to_json

from designer.runs.eventlog import json_text_param
from designer.runs.models import SharedPlan

COLUMNS = ("digest", "workspace", "plan")  # the order `share` gives their values
TEXT_CACHE_SIZE = 32  # more than the plan cache's entries (services.PLAN_CACHE_SIZE)
_texts: OrderedDict[int, tuple[dict[str, Any], str, str]] = OrderedDict()
_texts_lock = threading.Lock()


def encoded(plan: dict[str, Any]) -> tuple[str, str]:
    """A plan dict's JSON text and its SHA-256, remembered for the last dicts (never changed)."""
    with _texts_lock:
        hit = _texts.get(id(plan))
        if hit is not None and hit[0] is plan:  # the dict itself is kept, so its id is not reused
            _texts.move_to_end(id(plan))
            return hit[1], hit[2]
    text = to_json(plan).decode()  # as eventlog.json_param encodes JSON columns
    digest = hashlib.sha256(text.encode()).hexdigest()
    with _texts_lock:
        _texts[id(plan)] = (plan, text, digest)
        while len(_texts) > TEXT_CACHE_SIZE:
            _texts.popitem(last=False)
    return text, digest


def share(workspace_id: int, plan: dict[str, Any]) -> str:
    """The key of the workspace's SharedPlan row holding `plan`, saved now if it is not there."""
    text, digest = encoded(plan)
    key = hashlib.sha256(f"{workspace_id}:{digest}".encode()).hexdigest()
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor not in ("sqlite", "postgresql"):
        SharedPlan.objects.get_or_create(
            digest=key, defaults={"workspace_id": workspace_id, "plan": plan}
        )
        return key
    meta = SharedPlan._meta
    table, columns = db.ops.quote_name(meta.db_table), [meta.get_field(name) for name in COLUMNS]
    names = ", ".join(db.ops.quote_name(field.column) for field in columns)
    with db.cursor() as cursor:
        # A rerun finds the row: the ~62 KB plan is then neither sent (PostgreSQL) nor bound and
        # checked as JSON (SQLite's JSON_VALID constraint ran on it before the conflict was found)
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE {db.ops.quote_name(columns[0].column)} = %s", [key]
        )
        if cursor.fetchone() is not None:
            return key
        # only the key can conflict, with a concurrent first run; SQLite has ON CONFLICT since
        # 3.24, Django needs 3.31
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [key, workspace_id, json_text_param(meta.get_field("plan"), text, db)],
        )
    return key
