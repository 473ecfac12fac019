"""No-op modules for bench/engine.py: a source, a pass-through, and a sink with many inputs."""

from __future__ import annotations

from typing import Any

from designer.engine.registry import ModuleSpec, ParamSpec, PortSpec, Registry
from designer.engine.types import ParamType, PortType

FAN_IN = 256  # inputs of the sink module


def noop(ctx: Any) -> dict[str, Any]:
    """Does nothing; returns a constant (identical bytes for every step).

    Each node sets a different `salt` param so that every step has its own fingerprint and
    really runs (otherwise content addressing would reuse the first result for the rest).
    """
    return {"out": {"ok": True}}


def unique(ctx: Any) -> dict[str, Any]:
    """Does nothing; returns its node id (distinct bytes, so one stored file per step)."""
    return {"out": {"node": ctx.node_id, "salt": ctx.params["salt"]}}


def pool_noop(i: int) -> int:
    """What the ProcessPoolExecutor baseline runs."""
    return i


def registry() -> Registry:
    """bench.noop@1 (optional input `in`), bench.unique@1, bench.sink@1 (inputs in0…in255)."""
    any_in = (PortSpec("in", PortType.ANY, optional=True),)
    out = (PortSpec("out", PortType.ANY),)
    common = {"category": "Bench", "description": "no-op"}
    return Registry(
        [
            ModuleSpec(
                "bench.noop",
                1,
                "No-op",
                implementation="noop_modules:noop",
                inputs=any_in,
                outputs=out,
                params=(ParamSpec("salt", ParamType.STRING, ""),),
                **common,
            ),
            ModuleSpec(
                "bench.unique",
                1,
                "Unique no-op",
                implementation="noop_modules:unique",
                inputs=any_in,
                outputs=out,
                params=(ParamSpec("salt", ParamType.STRING, ""),),
                **common,
            ),
            ModuleSpec(
                "bench.sink",
                1,
                "Sink",
                implementation="noop_modules:noop",
                inputs=tuple(
                    PortSpec(f"in{i}", PortType.ANY, optional=True) for i in range(FAN_IN)
                ),
                outputs=out,
                **common,
            ),
        ]
    )
