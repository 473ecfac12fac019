"""Loaded by a fault test's worker (on its PYTHONPATH): this process's wall clock, as Python
reads it, runs DESIGNER_TEST_CLOCK_AHEAD seconds ahead of everyone else's."""

import os
import time

_AHEAD = float(os.environ.get("DESIGNER_TEST_CLOCK_AHEAD", "0"))
_time, _time_ns = time.time, time.time_ns
time.time = lambda: _time() + _AHEAD
time.time_ns = lambda: _time_ns() + int(_AHEAD * 1e9)
