"""How every harness starts: read its step's limits and set them as rlimits, then its start frame.

Until then only the harness's own imports have run (a standby sandbox is started before its
step is known); after this, soft and hard limits are equal, so the user's code cannot raise
them. With cgroups the slot's memory and pids cgroups enforce the same limits over all the
step's processes and files; RLIMIT_AS turns a too-large allocation into a MemoryError that
names the user's line.
"""

from __future__ import annotations

import resource
import sys
from typing import IO, Any

import protocol


def start() -> tuple[IO[bytes], dict[str, Any], bytes]:
    """Apply the limits, then read the start frame: (the results stream, its header, payload)."""
    _apply_limits()
    frame = protocol.read(sys.stdin.buffer)
    assert frame is not None, "no start frame"
    return protocol.results(), frame[0], frame[1]


def _apply_limits() -> None:
    """The limits frame: address space, processes, CPU seconds from now; no core files."""
    frame = protocol.read(sys.stdin.buffer)
    assert frame is not None and frame[0]["type"] == "limits", "no limits frame"
    limits = frame[0]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(usage.ru_utime + usage.ru_stime) + int(limits["cpu_seconds"])
    for which, value in (
        (resource.RLIMIT_AS, int(limits["address_space"])),
        (resource.RLIMIT_NPROC, int(limits["processes"])),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))
