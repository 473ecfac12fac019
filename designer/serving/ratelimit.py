"""Endpoint keys' rate limits in the scoring processes of one host, shared through one file.

The rule is the endpoint app's (`endpoints/keys.py`): a generic cell rate algorithm keeps one
number per key, its theoretical arrival time `tat`; a call is allowed when `tat - now <= burst`
and moves `tat` to `max(tat, now) + interval`, with interval = 60 s / rate and burst = a
minute's worth of calls. The numbers live in a memory-mapped file of float64 slots (a key's slot
is its id), and each update holds a lock on that slot's 8 bytes (`lockf`), so every worker
process of the host sees one limit. Nothing touches the database.
"""

from __future__ import annotations

import fcntl
import math
import mmap
import os
import struct
from pathlib import Path

SLOTS = 1 << 22  # key ids share a slot only beyond this many keys (a sparse 32 MiB file)
_SLOT = struct.Struct("d")


def gcra(tat: float, now: float, rate_per_minute: int) -> tuple[float, float | None]:
    """(the new tat, None) when a call is allowed, else (tat unchanged, seconds to wait)."""
    interval = 60.0 / rate_per_minute
    burst = 60.0 - interval
    if tat - now <= burst:
        return max(tat, now) + interval, None
    return tat, float(max(1, math.ceil(tat - burst - now)))


class SharedRates:
    """The GCRA state of every key, shared by the processes that open the same file."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < SLOTS * _SLOT.size:
            os.ftruncate(self._fd, SLOTS * _SLOT.size)  # only ever grows it to this size
        self._map = mmap.mmap(self._fd, SLOTS * _SLOT.size)

    def take(self, key_id: int, rate_per_minute: int, now: float) -> float | None:
        """Count one call of a key: None when allowed, else the seconds to wait."""
        offset = (key_id % SLOTS) * _SLOT.size
        fcntl.lockf(self._fd, fcntl.LOCK_EX, _SLOT.size, offset)
        try:
            (tat,) = _SLOT.unpack_from(self._map, offset)
            tat, wait = gcra(tat, now, rate_per_minute)
            if wait is None:
                _SLOT.pack_into(self._map, offset, tat)
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, _SLOT.size, offset)
        return wait

    def close(self) -> None:
        """Release the mapping and the file."""
        self._map.close()
        os.close(self._fd)
