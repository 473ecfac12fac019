"""What one scoring process saw, per deployed version and minute: calls, rows, errors and a
latency histogram, plus the last errors (with the request body when the endpoint asks) and when
each endpoint key was last let through.

The process writes its figures as a record of the artifact store every few seconds (off the
request path): `scoring/stats/<process>/<flush>.json`, each flush a new record and the one
before it deleted, so any host reads them with nothing but the store (decision 0039); the
control plane reads them into its database (`endpoints/monitoring.py`). A process's record
always holds its whole recent history, so reading one twice gives the same rows: collection is
idempotent. Latencies go into logarithmic
buckets 5 % wide, which add up across processes and minutes and give p50/p99 within 5 %.
"""

from __future__ import annotations

import json
import math
import os
import socket
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from designer.engine.store import ArtifactStore, Record

STATS = "scoring/stats/"  # the processes' records in the artifact store
KEEP_MINUTES = 60  # a process's file holds its last hour; collection runs far more often
LAST_ERRORS = 20  # per version, per process
BODY_CAP = 4096  # bytes of a failed call's body kept when the endpoint captures them
ISSUES_KEPT = 20  # of a failed call's issues
DETAIL_CAP = 1000  # characters of a failed call's message
_GROWTH = math.log(1.05)
_FLOOR = 1e-5  # seconds: 10 us, bucket 0


def bucket(seconds: float) -> int:
    """The histogram bucket of a latency."""
    return max(0, math.ceil(math.log(max(seconds, _FLOOR) / _FLOOR) / _GROWTH))


def bucket_ms(index: int) -> float:
    """A bucket's upper bound in milliseconds."""
    return _FLOOR * math.exp(index * _GROWTH) * 1000.0


def merge(histograms: Iterable[Mapping[str, int]]) -> dict[int, int]:
    """Histograms ({bucket: count}, keys as JSON gives them) added together."""
    total: dict[int, int] = {}
    for histogram in histograms:
        for index, count in histogram.items():
            total[int(index)] = total.get(int(index), 0) + int(count)
    return total


def percentile(histogram: Mapping[int, int], q: float) -> float | None:
    """The q-th percentile (0 to 100) in milliseconds (a bucket's upper bound), None if empty."""
    count = sum(histogram.values())
    if count == 0:
        return None
    rank = max(1, math.ceil(count * q / 100.0))
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            return bucket_ms(index)
    return bucket_ms(max(histogram))


SAMPLED_ROWS = 10  # rows of each scored call whose numeric inputs are summed (input drift)


@dataclass
class Minute:
    """One version's calls in one minute; `inputs`: {column: [values, sum, sum of squares]}
    over the sampled rows of its scored calls."""

    calls: int = 0
    errors: int = 0
    rows: int = 0
    latency: dict[int, int] = field(default_factory=dict)
    inputs: dict[str, list[float]] = field(default_factory=dict)

    def sample(self, rows: Iterable[Mapping[str, Any]], columns: Iterable[str]) -> None:
        """Add the finite numeric values of `columns` in `rows` to the input sums."""
        names = list(columns)
        for row in rows:
            for name in names:
                value = row.get(name)
                if (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and math.isfinite(value)
                ):
                    sums = self.inputs.setdefault(name, [0, 0.0, 0.0])
                    sums[0] += 1
                    sums[1] += value
                    sums[2] += value * value


class ProcessStats:
    """The figures of this process since it started (its last hour of minutes)."""

    def __init__(self, store: ArtifactStore):
        self.process = f"{socket.gethostname()}-{os.getpid()}-{time.time_ns()}"
        self.store = store
        self._flushes = 0
        self.minutes: dict[tuple[int, int], Minute] = {}  # (version id, epoch minute)
        self.errors: dict[int, deque[dict[str, Any]]] = {}
        self.keys: dict[int, float] = {}  # endpoint key id → when it was last let through
        self.dirty = False
        self._sequence = 0

    def record(
        self,
        version_id: int,
        seconds: float,
        rows: int,
        error: dict[str, Any] | None = None,
        body: bytes | None = None,
        now: float | None = None,
        sample: tuple[list[Any], Iterable[str]] | None = None,
    ) -> None:
        """Count one call of a version: its latency, rows, and its error body when it failed
        (`body`: the request, kept capped when the endpoint captures failed calls); `sample`:
        a scored call's (rows, numeric input columns), of which the first SAMPLED_ROWS rows
        are summed."""
        now = time.time() if now is None else now
        minute = self.minutes.setdefault((version_id, int(now // 60)), Minute())
        minute.calls += 1
        minute.rows += rows
        index = bucket(seconds)
        minute.latency[index] = minute.latency.get(index, 0) + 1
        if sample is not None:
            minute.sample(sample[0][:SAMPLED_ROWS], sample[1])
        if error is not None:
            minute.errors += 1
            self._sequence += 1
            kept = self.errors.setdefault(version_id, deque(maxlen=LAST_ERRORS))
            kept.append(
                {
                    "id": f"{self.process}:{self._sequence}",
                    "version": version_id,
                    "time": now,
                    "code": error.get("code"),
                    "detail": str(error.get("detail", ""))[:DETAIL_CAP],
                    "issues": list(error.get("issues", []))[:ISSUES_KEPT],
                    "input": None if body is None else body[:BODY_CAP].decode("utf-8", "replace"),
                    "input_truncated": body is not None and len(body) > BODY_CAP,
                }
            )
        self.dirty = True

    def used(self, key_id: int, now: float) -> None:
        """Note that a key was let through (the control plane stamps its `last_used_at`)."""
        self.keys[key_id] = now
        self.dirty = True

    def to_dict(self, now: float | None = None) -> dict[str, Any]:
        """The file's contents: the last KEEP_MINUTES minutes, the last errors, key use."""
        oldest = int((time.time() if now is None else now) // 60) - KEEP_MINUTES
        for key in [k for k in self.minutes if k[1] < oldest]:
            del self.minutes[key]
        return {
            "process": self.process,
            "minutes": [
                {
                    "version": version,
                    "minute": minute,
                    "calls": m.calls,
                    "errors": m.errors,
                    "rows": m.rows,
                    "latency": {str(i): c for i, c in sorted(m.latency.items())},
                    "inputs": m.inputs,
                }
                for (version, minute), m in sorted(self.minutes.items())
            ],
            "errors": [e for kept in self.errors.values() for e in kept],
            "keys": {str(k): t for k, t in sorted(self.keys.items())},
        }

    def flush(self) -> bool:
        """Write the record if anything changed since the last write (and delete the last)."""
        if not self.dirty:
            return False
        self.dirty = False  # before reading the figures: a call meanwhile sets it again
        data = json.dumps(self.to_dict(), allow_nan=False).encode()
        try:
            self.store.create_record(_record_key(self.process, self._flushes + 1), data)
        except BaseException:
            self.dirty = True  # written at the next flush
            raise
        self._flushes += 1
        if self._flushes > 1:
            self.store.delete_record(_record_key(self.process, self._flushes - 1))
        return True


def _record_key(process: str, flush: int) -> str:
    return f"{STATS}{process}/{flush:012d}.json"


def latest_records(store: ArtifactStore) -> list[Record]:
    """Each process's latest record; superseded ones (left by a process that stopped between
    writing one and deleting the last) are deleted."""
    latest: dict[str, Record] = {}
    for record in store.records(STATS):  # sorted: a process's flushes in order
        process = record.key.removeprefix(STATS).split("/", 1)[0]
        if process in latest:
            store.delete_record(latest[process].key)
        latest[process] = record
    return list(latest.values())
