"""The built-in module library and the custom module loader.

Importing this package (and the specs) stays light: pandas and scikit-learn are imported only
by the family files that implement the modules, inside worker processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from designer.engine.registry import Registry


def builtin_registry() -> Registry:
    """Return a registry of every built-in module."""
    from designer.modules.specs import all_builtin_specs

    return Registry(all_builtin_specs())


def load_registry(module_paths: Sequence[str | Path] = ()) -> Registry:
    """Return the built-ins plus the custom modules found under `module_paths`.

    Raises CustomModuleError naming every invalid spec file and field, including a custom
    module that reuses a built-in name@version.
    """
    from designer.modules.custom import CustomModuleError, discover

    registry = builtin_registry()
    problems = []
    for spec in discover(module_paths):
        if registry.get(spec.ref) is not None:
            problems.append(f"{spec.source_files[0]}: name: {spec.ref} is already registered")
        else:
            registry.register(spec)
    if problems:
        raise CustomModuleError(problems)
    return registry


__all__ = ["builtin_registry", "load_registry"]
