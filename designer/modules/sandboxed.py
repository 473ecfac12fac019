"""The worker side of every user-code module: run a harness in the sandbox, relay its logs and
progress to the step, answer its requests, and turn how it ended into the step's outcome."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from designer.engine.context import StepContext, StepError
from designer.sandbox import Limits, SandboxUnavailable, run
from designer.sandbox.limits import MB

Frame = tuple[dict[str, Any], bytes]
Request = Callable[[dict[str, Any]], Iterable[bytes]]
ENDS = ("done", "result", "error")


def memory_ceiling() -> int:
    """The most memory one step of user code may ask for, in bytes: DESIGNER_SANDBOX_MAX_MEMORY_MB,
    else half of this host's memory (never below the default limit)."""
    configured = os.environ.get("DESIGNER_SANDBOX_MAX_MEMORY_MB")
    if configured:
        return int(configured) * MB
    host = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(Limits().memory_bytes, host // 2)


def limits_from(params: Mapping[str, Any]) -> Limits:
    """The limits a step's `timeout` and `memory_mb` params ask for (defaults otherwise);
    StepError naming `memory_mb` when it asks for more than `memory_ceiling()`."""
    default = Limits()
    memory = int(params.get("memory_mb", default.memory_bytes // MB)) * MB
    ceiling = memory_ceiling()
    if memory > ceiling:
        raise StepError(
            f"memory_mb: this server lets one step use at most {ceiling // MB:,} MB "
            f"(DESIGNER_SANDBOX_MAX_MEMORY_MB); {memory // MB:,} MB was asked for",
            param="memory_mb",
        )
    return Limits(
        wall_seconds=float(params.get("timeout", default.wall_seconds)), memory_bytes=memory
    )


@dataclass
class Finished:
    """What a harness sent: its outputs in order, and the frame that ended it."""

    outputs: list[Frame] = field(default_factory=list)
    end: Frame | None = None


def run_harness(
    ctx: StepContext,
    harness: str,
    inputs: Sequence[bytes],
    *,
    limits: Limits,
    what: str,
    site: bool = True,
    binds: Sequence[tuple[str, str]] = (),
    on_request: Request | None = None,
    timeout_param: str | None = "timeout",
    memory_param: str | None = "memory_mb",
) -> Finished:
    """Run `harness` in the sandbox for this step; StepError for anything but a harness's own end.

    `what` names the user's code in messages ("the script"); the params named by
    `timeout_param` and `memory_param` are blamed for those limits.
    """
    finished = Finished()

    def on_line(stream: str, line: str) -> None:
        ctx.log(line if stream == "stdout" else f"[stderr] {line}")

    def on_frame(header: dict[str, Any], payload: bytes) -> Iterable[bytes]:
        kind = header.get("type")
        if kind == "log":
            ctx.log("\n".join(str(line) for line in header.get("lines", [])))
        elif kind == "progress":  # as the module passed them, as in a worker
            ctx.progress(header.get("value"), header.get("max"))  # type: ignore[arg-type]
        elif kind == "input" and on_request is not None:
            return on_request(header)
        elif kind == "output":
            finished.outputs.append((header, payload))
        elif kind in ENDS and finished.end is None:
            finished.end = (header, payload)
        return ()

    try:
        outcome = run(
            harness, inputs, limits=limits, on_line=on_line, on_frame=on_frame, site=site,
            binds=binds,
        )  # fmt: skip
    except SandboxUnavailable as exc:
        raise StepError(f"the sandbox could not start, so {what} did not run: {exc}") from exc
    if outcome.timed_out:
        raise StepError(
            f"timeout: {what} did not finish within {limits.wall_seconds:g} s and was stopped",
            param=timeout_param,
        )
    if outcome.stopped:
        raise StepError(f"{what} was stopped: {outcome.stopped}")
    memory = f"{limits.memory_bytes // MB} MB"
    if outcome.out_of_memory:
        raise StepError(
            f"{_prefix(memory_param)}{what} ran out of memory (limit {memory}) and was killed",
            param=memory_param,
        )
    if finished.end is None:
        if outcome.returncode > 128:
            raise StepError(
                f"{_prefix(memory_param)}{what} was killed by signal {outcome.returncode - 128} "
                f"(most often for exceeding the {memory} memory limit)",
                param=memory_param,
            )
        raise StepError(f"{what} ended with status {outcome.returncode} without a result")
    return finished


def _prefix(param: str | None) -> str:
    return f"{param}: " if param else ""
