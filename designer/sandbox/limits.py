"""What one sandboxed step may use: wall clock, CPU, memory, processes and output."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Limits of one sandboxed step (their defaults are listed in docs/security.md)."""

    wall_seconds: float = 120.0  # then every process of the step is killed
    memory_bytes: int = 2048 * MB  # its processes and its tmpfs files together
    processes: int = 256  # processes and threads at once (pids cgroup and RLIMIT_NPROC)
    output_bytes: int = 2048 * MB  # the results it sends back (Parquet, JSON)
    log_bytes: int = 16 * MB  # what it prints (stdout and stderr together)

    @property
    def cpu_seconds(self) -> int:
        """CPU time of one process (RLIMIT_CPU): the wall clock on every core, plus one."""
        return math.ceil(self.wall_seconds) * (os.cpu_count() or 1) + 1
