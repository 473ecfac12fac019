"""Import hook for custom module code: "designer.modules.plugins.m_<hex path>" names that file.

A custom module's implementation path names its Python file by a synthetic module name, so the
engine's ordinary `importlib.import_module` resolves it in any worker with no registration.
What it resolves to depends on where the step runs: inside the module's own container (its
`image`; `DESIGNER_ISOLATION=container`, set by the Docker runner) the file is imported; in
every other process the name resolves to a module whose functions run the file in the sandbox
(entry.py), so the code is never imported outside it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PREFIX = f"{__name__}.m_"
ISOLATION = "DESIGNER_ISOLATION"


def module_name_for(path: Path) -> str:
    """Return the synthetic module name that stands for the Python file at `path`."""
    return PREFIX + str(path.resolve()).encode().hex()


def path_for(module_name: str) -> Path:
    """Return the file a synthetic module name stands for."""
    return Path(bytes.fromhex(module_name.removeprefix(PREFIX)).decode())


class _SandboxedLoader(importlib.abc.Loader):
    """Makes a module whose every attribute is the file's function of that name, sandboxed."""

    def __init__(self, file: Path):
        self.file = file

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        from designer.modules.plugins.entry import SandboxedEntry

        file, name = self.file, module.__name__

        def attribute(function: str) -> SandboxedEntry:
            if function.startswith("__"):
                raise AttributeError(function)
            return SandboxedEntry(name, file, function)

        module.__getattr__ = attribute  # type: ignore[method-assign]


class _FileFinder(importlib.abc.MetaPathFinder):
    """Finds synthetic plugin module names and loads (or sandboxes) the file they encode."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(PREFIX):
            return None
        try:
            file = path_for(fullname)
        except ValueError:
            return None
        if not file.is_file():
            return None
        if os.environ.get(ISOLATION) == "container":
            return importlib.util.spec_from_file_location(fullname, file)
        return importlib.util.spec_from_loader(fullname, _SandboxedLoader(file), origin=str(file))


if not any(isinstance(f, _FileFinder) for f in sys.meta_path):
    sys.meta_path.append(_FileFinder())
