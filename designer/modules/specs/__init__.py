"""Specs of the built-in modules: plain data, importable without pandas or scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from designer.engine.registry import Environment, ModuleSpec, ParamSpec, PortSpec
from designer.engine.types import ParamType

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SEED_MAX = 2**32 - 1  # numpy and scikit-learn take seeds up to this
PROJECT_DIR = PACKAGE_DIR.parent.parent
SANDBOX_HELPERS = (
    "sandboxed",
    "designer.sandbox.runner",
    "designer.sandbox.bwrap",
    "designer.sandbox.slots",
    "designer.sandbox.limits",
    "designer.sandbox.harness.protocol",
)


def sandbox_params(what: str) -> tuple[ParamSpec, ParamSpec]:
    """The `timeout` and `memory_mb` params of a module that runs user code in the sandbox."""
    return (
        ParamSpec(
            "timeout",
            ParamType.INT,
            120,
            description=f"Seconds of wall-clock time before {what} is stopped.",
            minimum=1,
            maximum=3600,
        ),
        ParamSpec(
            "memory_mb",
            ParamType.INT,
            2048,
            label="Memory limit (MB)",
            description=f"Memory of {what}: its processes and its temporary files together.",
            minimum=256,
            maximum=65536,
        ),
    )


def _source(name: str) -> str:
    """The file of a helper: "designer.x.y" from the project, other names in designer.modules."""
    root = PROJECT_DIR if name.startswith("designer.") else PACKAGE_DIR
    return str(root / f"{name.replace('.', '/')}.py")


STEP_TIMEOUT = 900.0  # seconds: loading and transforming a table (30 s at a million rows)
TRAINING_TIMEOUT = 4 * 3600.0  # fitting, tuning and validating models


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
    timeout: float = STEP_TIMEOUT,
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
        source_files=tuple(_source(f) for f in files),
        timeout=timeout,
    )


def all_builtin_specs() -> list[ModuleSpec]:
    """Return every built-in module spec, family by family."""
    from designer.modules.specs import (
        data,
        frozen,
        ml,
        output,
        recommendation,
        script,
        statistics,
        text,
        transform,
    )

    return [
        *data.SPECS,
        *transform.SPECS,
        *statistics.SPECS,
        *text.SPECS,
        *script.SPECS,
        *ml.SPECS,
        *recommendation.SPECS,
        *output.SPECS,
        *frozen.SPECS,
    ]
