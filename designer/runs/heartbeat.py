"""Liveness of Celery step attempts: a Redis key the running task renews, which expires if not.

A step task holds a `Heartbeat` while its step runs; `watch_step` (runs.tasks) looks at the key
every few intervals and fails the attempt when it is gone, so a worker that was killed or lost
its machine cannot leave a step `running` forever.
"""

from __future__ import annotations

import contextlib
import threading
from functools import cache

import redis
from django.conf import settings

MISSED_BEATS = 3  # an attempt silent this many intervals has lost its worker


def interval() -> float:
    """Seconds between two renewals."""
    return float(settings.DESIGNER_HEARTBEAT_SECONDS)


def lifetime() -> float:
    """Seconds a renewal keeps an attempt alive (and between two looks of the watchdog)."""
    return interval() * MISSED_BEATS


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _key(name: str) -> str:
    return f"designer:heartbeat:{name}"


def alive(name: str) -> bool:
    """Whether the attempt called `name` renewed its heartbeat within its lifetime."""
    return bool(_client(settings.REDIS_URL).exists(_key(name)))


class Heartbeat:
    """Keeps `name` alive from a background thread while the `with` block runs."""

    def __init__(self, name: str):
        self.key = _key(name)
        self.client = _client(settings.REDIS_URL)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{name}", daemon=True)

    def _renew(self) -> None:
        self.client.set(self.key, "1", px=int(lifetime() * 1000))

    def _beat(self) -> None:
        while not self.stopped.wait(interval()):
            self._try_renew()

    def _try_renew(self) -> None:
        with contextlib.suppress(redis.RedisError):  # Redis briefly away: the next beat tries
            self._renew()

    def __enter__(self) -> Heartbeat:
        self._try_renew()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()
        with contextlib.suppress(redis.RedisError):  # Redis away: the key expires on its own
            self.client.delete(self.key)
