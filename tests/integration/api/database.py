"""A file-backed SQLite test database, so run threads and Celery workers share the test's data.

pytest-django's default in-memory SQLite is private to one process and locks whole tables
across threads; runs execute on background threads (local runner) or in other processes
(Celery workers). PostgreSQL needs nothing here.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from tests.support.tempdirs import session_dir


def use_file_sqlite() -> Path | None:
    """Point the SQLite test database at a file (once); return its path, or None on PostgreSQL."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return None
    test = database.setdefault("TEST", {})
    if not test.get("NAME"):
        # named db.sqlite3 in a folder of its own, so another process given this folder as
        # DESIGNER_DATA_DIR opens the same file with the same SQLite options
        parent = os.environ.get("DESIGNER_DATA_DIR")
        folder = session_dir("designer-testdb-", parent)
        test["NAME"] = str(Path(folder) / "db.sqlite3")
    return Path(test["NAME"])
