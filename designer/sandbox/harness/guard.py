"""A harness's first act on its stdin: read its step's limits and set them as its rlimits.

Until then only the harness's own imports have run (a standby sandbox is started before its
step is known); after this, soft and hard limits are equal, so the user's code cannot raise
them. With cgroups the slot's memory and pids cgroups enforce the same limits over all the
step's processes and files; RLIMIT_AS turns a too-large allocation into a MemoryError that
names the user's line.
"""

from __future__ import annotations

import resource
import sys

import protocol


def enter() -> None:
    """Apply the limits frame (address space, processes, CPU seconds from now; no core files)."""
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
