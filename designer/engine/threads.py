"""Thread budget: how many BLAS/OpenMP threads a step may use, given how many run beside it.

A step alone on a runner gets every CPU; steps running in parallel share them. The runner
decides the number when it hands a task to a worker (``task["threads"]``) and the worker sets
its native thread pools to it before the step's code runs: through threadpoolctl once numpy is
loaded (and only when the number changed since the last step), and through the environment
variables the libraries read when the step loads them (a library the step itself loads, e.g.
scipy's OpenBLAS on a first fit, starts with the step's number rather than every CPU).
"""

from __future__ import annotations

import os
import sys
from typing import Any

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def share(cpus: int, running: int) -> int:
    """Threads for a step that starts while `running` steps (itself included) and storage
    threads encoding tables run."""
    return max(1, cpus // max(1, running))


class ThreadBudget:
    """The worker side: applies a step's thread count to the loaded native thread pools."""

    def __init__(self) -> None:
        self.applied: int | None = None
        self._variables: int | None = None  # the number in THREAD_VARIABLES
        self._controller: Any = None
        self._modules = 0  # len(sys.modules) when the controller looked for libraries

    def apply(self, threads: int | None) -> None:
        """Limit BLAS/OpenMP pools to `threads` (None: leave them as they are)."""
        if threads is None:
            return
        if threads != self._variables:  # a library loaded later (by the step) reads these
            os.environ.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
            self._variables = threads
        if "numpy" not in sys.modules:  # no pool yet
            return
        if threads == self.applied and len(sys.modules) == self._modules:
            return
        from threadpoolctl import ThreadpoolController

        if self._controller is None or len(sys.modules) != self._modules:
            self._controller = ThreadpoolController()  # a new import may have loaded a pool
            self._modules = len(sys.modules)
        self._controller.limit(limits=threads)
        self.applied = threads


def cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1
