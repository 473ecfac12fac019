"""Env switches for measuring the test server (bench/ws.py uses them).

DESIGNER_PROFILE=<file.pstats>: cProfile of the thread that enables it (Daphne's event loop
thread), written when the process exits normally (Daphne stops its reactor on SIGTERM).
DESIGNER_GC_TRACE=1: every garbage collection over 1 ms, logged with its duration.
"""

from __future__ import annotations

import atexit
import cProfile
import gc
import os
import sys
import time

ENV = "DESIGNER_PROFILE"


def profile_from_env() -> None:
    """Start profiling this thread if ENV names an output file; dump the stats at exit."""
    path = os.environ.get(ENV, "")
    if not path:
        return
    profiler = cProfile.Profile()
    profiler.enable()

    def dump() -> None:
        profiler.disable()
        profiler.dump_stats(path)

    atexit.register(dump)


def trace_gc_from_env() -> None:
    """DESIGNER_GC_TRACE=1: log every cyclic garbage collection over 1 ms to stderr.

    A full (generation 2) collection's pause grows with the number of live objects; one that
    falls in a fan-out delays every socket still waiting for the event.
    """
    if not os.environ.get("DESIGNER_GC_TRACE"):
        return
    started = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        took = (time.perf_counter() - started[0]) * 1000
        if took > 1:
            generation = info["generation"]
            objects = f" ({len(gc.get_objects())} tracked objects)" if generation == 2 else ""
            line = f"gc gen{generation} {took:.1f} ms at {time.time():.3f}{objects}"
            print(line, file=sys.stderr)

    gc.callbacks.append(callback)
