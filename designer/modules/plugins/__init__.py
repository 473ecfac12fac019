"""Import hook for custom module code: "designer.modules.plugins.m_<hex path>" loads that file.

A custom module's implementation path names its Python file by a synthetic module name, so the
engine's ordinary `importlib.import_module` loads it in a worker process with no registration.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PREFIX = f"{__name__}.m_"


def module_name_for(path: Path) -> str:
    """Return the synthetic module name that imports the Python file at `path`."""
    return PREFIX + str(path.resolve()).encode().hex()


def path_for(module_name: str) -> Path:
    """Return the file a synthetic module name stands for."""
    return Path(bytes.fromhex(module_name.removeprefix(PREFIX)).decode())


class _FileFinder(importlib.abc.MetaPathFinder):
    """Finds synthetic plugin module names and loads the file they encode."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(PREFIX):
            return None
        try:
            file = path_for(fullname)
        except ValueError:
            return None
        return importlib.util.spec_from_file_location(fullname, file) if file.is_file() else None


if not any(isinstance(f, _FileFinder) for f in sys.meta_path):
    sys.meta_path.append(_FileFinder())
