"""Temporary folders a test session makes for itself, removed when the session ends."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

_made: list[Path] = []


def session_dir(prefix: str, parent: str | None = None) -> Path:
    """A new folder that `remove_session_dirs()` deletes at the end of the session."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    _made.append(folder)
    return folder


def remove_session_dirs() -> None:
    """Delete every folder `session_dir` made (tests/conftest.py calls it at the end)."""
    while _made:
        shutil.rmtree(_made.pop(), ignore_errors=True)
