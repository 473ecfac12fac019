"""Specs of the built-in modules: plain data, importable without pandas or scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from designer.engine.registry import Environment, ModuleSpec, ParamSpec, PortSpec

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def builtin(
    name: str,
    display_name: str,
    category: str,
    description: str,
    implementation: str,
    *,
    inputs: Sequence[PortSpec] = (),
    outputs: Sequence[PortSpec] = (),
    params: Sequence[ParamSpec] = (),
    deterministic: bool = True,
    helpers: Sequence[str] = ("_frames",),
    version: int = 1,
) -> ModuleSpec:
    """Build a built-in ModuleSpec whose digest covers its family file and shared helpers.

    `implementation` is "family:function" inside designer.modules; listing the source files
    lets the registry digest them without importing pandas in the web process.
    """
    family, _, function = implementation.partition(":")
    files = [family, *helpers]
    return ModuleSpec(
        name=name,
        version=version,
        display_name=display_name,
        category=category,
        description=" ".join(description.split()),
        implementation=f"designer.modules.{family}:{function}",
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        params=tuple(params),
        environment=Environment(),
        deterministic=deterministic,
        source_files=tuple(str(PACKAGE_DIR / f"{f.replace('.', '/')}.py") for f in files),
    )


def all_builtin_specs() -> list[ModuleSpec]:
    """Return every built-in module spec, family by family."""
    from designer.modules.specs import data, ml, output, script, transform

    return [*data.SPECS, *transform.SPECS, *script.SPECS, *ml.SPECS, *output.SPECS]
