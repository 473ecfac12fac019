"""A worker's memory bound: the resident memory of its own (anonymous) pages, watched from outside.

Not an rlimit: RLIMIT_AS and RLIMIT_DATA count address space the numeric libraries reserve and
never touch (pyarrow's allocator reserves 1 GiB at its first table, each BLAS/OpenMP thread a
stack and a buffer), which grows with the CPUs and not with what a step uses (decision 0074).
"""

from __future__ import annotations

import os
import time
from typing import Any

MB = 1024 * 1024
SETTING = "DESIGNER_WORKER_MAX_MEMORY_MB"  # how the server's operators set it (messages name it)
LIMIT_VARIABLE = "DESIGNER_WORKER_MEMORY_LIMIT"  # the bound in bytes, in a worker's environment
POLL_SECONDS = 0.05  # how often the runner looks at each worker's resident memory


def resident(pid: int) -> int | None:
    """Bytes of memory only the process `pid` holds (its anonymous and shared-memory pages, not
    the files it maps, which the kernel can drop); None when it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            text = status.read()
    except OSError:
        return None
    total = 0
    for line in text.splitlines():
        if line.startswith((b"RssAnon:", b"RssShmem:")):
            total += int(line.split()[1]) * 1024
    return total


def host_memory() -> int:
    """Bytes of physical memory of this host."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def step_limit() -> int:
    """The memory one step in this process may use: the worker's bound when it has one, else
    the host's memory."""
    configured = os.environ.get(LIMIT_VARIABLE)
    return int(configured) if configured else host_memory()


def out_of_memory(limit: int) -> str:
    """What a step that went past its worker's bound is told."""
    return (
        f"the step ran out of memory: the worker's limit is {limit // MB:,} MB ({SETTING}); "
        "the worker was stopped and replaced"
    )


def failure(limit: int) -> dict[str, Any]:
    """The result of a step whose worker went past `limit`: not retried (it would again)."""
    return {
        "status": "failed",
        "error": out_of_memory(limit),
        "error_type": "OutOfMemory",
        "param": None,
        "port": None,
        "traceback": None,
        "retryable": False,
        "started_at": None,
        "finished_at": time.time(),
    }
