"""Endpoint keys' rate limits: one budget per key, whatever serves the call.

The rule is a generic cell rate algorithm: one number per key, its theoretical arrival time
`tat`; a call is allowed when `tat - now <= burst` and moves `tat` to `max(tat, now) +
interval`, with interval = 60 s / rate and burst = a minute's worth of calls. The web server
(batch calls, `endpoints/keys.py`) and every scoring process take from the same state:

- with Redis (`REDIS_URL`, the distributed mode): one Redis key per endpoint key, moved by an
  atomic Lua script, shared by every process on every host. While Redis cannot be reached, each
  host falls back to its file below (a budget per host) and tries Redis again every few
  seconds: a call is never refused because the limiter's store is down.
- on one host without Redis: a memory-mapped file of float64 slots in the deployment folder,
  `rates-<host>.bin` (a key's slot is its id), each update under a lock on that slot's 8 bytes
  (`lockf`, about a microsecond).

Nothing touches the database.
"""

from __future__ import annotations

import fcntl
import logging
import math
import mmap
import os
import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any

import redis
import redis.asyncio

SLOTS = 1 << 22  # key ids share a slot only beyond this many keys (a sparse 32 MiB file)
_SLOT = struct.Struct("d")
RETRY_SECONDS = 5.0  # after Redis failed, the host's file serves this long before Redis again
TIMEOUT_SECONDS = 0.5  # a Redis that does not answer within this counts as down
log = logging.getLogger(__name__)

# KEYS[1]: the key's state; ARGV: now, interval. Returns nil when allowed, else seconds to wait.
# The state expires when it has no more effect (tat <= now), so idle keys cost no memory.
_TAKE = """
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local now, interval = tonumber(ARGV[1]), tonumber(ARGV[2])
local burst = 60 - interval
if tat - now > burst then
  return math.max(1, math.ceil(tat - burst - now))
end
local new = math.max(tat, now) + interval
redis.call('SET', KEYS[1], string.format('%.17g', new), 'PX', math.ceil((new - now) * 1000))
return false
"""


def gcra(tat: float, now: float, rate_per_minute: int) -> tuple[float, float | None]:
    """(the new tat, None) when a call is allowed, else (tat unchanged, seconds to wait)."""
    interval = 60.0 / rate_per_minute
    burst = 60.0 - interval
    if tat - now <= burst:
        return max(tat, now) + interval, None
    return tat, float(max(1, math.ceil(tat - burst - now)))


def host_file(root: Path) -> Path:
    """This host's rate file in the deployment folder `root`."""
    return root / f"rates-{socket.gethostname()}.bin"


def redis_key(key_id: int) -> str:
    """The Redis key holding an endpoint key's `tat`."""
    return f"designer:endpoint-key-rate:{key_id}"


class SharedRates:
    """The GCRA state of every key, shared by the processes of a host that open the same file."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < SLOTS * _SLOT.size:
            os.ftruncate(self._fd, SLOTS * _SLOT.size)  # only ever grows it to this size
        self._map = mmap.mmap(self._fd, SLOTS * _SLOT.size)
        self._threads = threading.Lock()  # lockf excludes other processes, not our own threads

    def take(self, key_id: int, rate_per_minute: int, now: float) -> float | None:
        """Count one call of a key: None when allowed, else the seconds to wait."""
        offset = (key_id % SLOTS) * _SLOT.size
        with self._threads:
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


class _Outage:
    """Whether Redis is skipped for now, after it failed; logs each outage's start and end."""

    def __init__(self) -> None:
        self._until: float | None = None

    def skip(self) -> bool:
        return self._until is not None and time.monotonic() < self._until

    def failed(self, exc: Exception) -> None:
        if self._until is None:
            log.warning("rate limits: Redis unreachable (%s); this host's file counts", exc)
        self._until = time.monotonic() + RETRY_SECONDS

    def recovered(self) -> None:
        if self._until is not None:
            log.warning("rate limits: Redis answers again")
            self._until = None


def _script(client: Any, url: str | None) -> Any:
    """The rate script registered with a Redis client of `client`'s class, or None."""
    if not url:
        return None
    redis_client = client.from_url(
        url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )
    return redis_client.register_script(_TAKE)


def _wait(answer: int | None) -> float | None:
    return None if answer is None else float(answer)


class Rates:
    """The keys' budgets for a synchronous caller (the web server's batch calls): in Redis when
    given a URL, else (and while Redis is down) the host's file."""

    def __init__(self, fallback: SharedRates, url: str | None = None):
        self._fallback = fallback
        self._script = _script(redis.Redis, url)
        self._outage = _Outage()

    def take(self, key_id: int, rate_per_minute: int, now: float) -> float | None:
        """Count one call of a key: None when allowed, else the seconds to wait."""
        if self._script is not None and not self._outage.skip():
            try:
                answer = self._script(keys=[redis_key(key_id)], args=[now, 60.0 / rate_per_minute])
            except redis.RedisError as exc:
                self._outage.failed(exc)
            else:
                self._outage.recovered()
                return _wait(answer)
        return self._fallback.take(key_id, rate_per_minute, now)


class AsyncRates:
    """The same for the scoring process's event loop: the Redis round trip never blocks it."""

    def __init__(self, fallback: SharedRates, url: str | None = None):
        self._fallback = fallback
        self._script = _script(redis.asyncio.Redis, url)
        self._outage = _Outage()

    async def take(self, key_id: int, rate_per_minute: int, now: float) -> float | None:
        """Count one call of a key: None when allowed, else the seconds to wait."""
        if self._script is not None and not self._outage.skip():
            try:
                answer = await self._script(
                    keys=[redis_key(key_id)], args=[now, 60.0 / rate_per_minute]
                )
            except redis.RedisError as exc:
                self._outage.failed(exc)
            else:
                self._outage.recovered()
                return _wait(answer)
        return self._fallback.take(key_id, rate_per_minute, now)
