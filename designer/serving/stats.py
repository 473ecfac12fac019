"""Per-version call statistics of one scoring process: calls, errors by code, latency
percentiles over the most recent calls, and the last errors (messages only)."""

from __future__ import annotations

import time
from collections import Counter, deque
from typing import Any

import numpy as np

WINDOW = 10_000  # latencies kept for the percentiles
LAST_ERRORS = 20


class VersionStats:
    """What one process saw of one deployed version since it started."""

    def __init__(self) -> None:
        self.calls = 0
        self.rows = 0
        self.errors: Counter[str] = Counter()
        self.latencies: deque[float] = deque(maxlen=WINDOW)
        self.last_errors: deque[dict[str, Any]] = deque(maxlen=LAST_ERRORS)

    def record(self, seconds: float, rows: int, error: dict[str, Any] | None = None) -> None:
        """Count one call (its latency in seconds; the error body when it failed)."""
        self.calls += 1
        self.rows += rows
        self.latencies.append(seconds)
        if error is not None:
            self.errors[str(error.get("code"))] += 1
            self.last_errors.append(
                {"time": time.time(), "code": error.get("code"), "detail": error.get("detail")}
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: counts, p50/p99 in milliseconds over the last WINDOW calls, errors."""
        latencies = np.asarray(self.latencies, dtype="float64") * 1000.0
        p50, p99 = np.percentile(latencies, [50, 99]).tolist() if latencies.size else [None, None]
        return {
            "calls": self.calls,
            "rows": self.rows,
            "errors": dict(self.errors),
            "latency_ms": {"p50": p50, "p99": p99, "window": int(latencies.size)},
            "last_errors": list(self.last_errors),
        }
