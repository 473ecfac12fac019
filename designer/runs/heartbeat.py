"""Liveness of Celery step attempts: a Redis key the running task renews, which expires if not.

The claim of an attempt sets the key (`touch`), then the step task holds a `Heartbeat` while
its step runs. Every worker's reconciler (runs.reconciler) looks at the keys of all running
attempts and reports an attempt lost once its key is gone, so a worker that was killed or lost
its machine cannot leave a step `running` forever. Keys expire on Redis's clock, not a host's;
a key's value names the process that holds the attempt (`host:pid`).
"""

from __future__ import annotations

import contextlib
import os
import socket
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


def alive(names: list[str]) -> list[bool]:
    """Whether each attempt renewed its heartbeat within its lifetime (one round trip)."""
    pipe = _client(settings.REDIS_URL).pipeline(transaction=False)
    for name in names:
        pipe.exists(_key(name))
    return [bool(found) for found in pipe.execute()]


def touch(name: str) -> None:
    """Start (or renew) an attempt's heartbeat once, naming this process as its holder;
    Redis briefly away: the next beat tries."""
    value = f"{socket.gethostname()}:{os.getpid()}"
    with contextlib.suppress(redis.RedisError):
        _client(settings.REDIS_URL).set(_key(name), value, px=int(lifetime() * 1000))


class Heartbeat:
    """Keeps `name` alive from a background thread while the `with` block runs."""

    def __init__(self, name: str):
        self.name, self.key = name, _key(name)
        self.client = _client(settings.REDIS_URL)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{name}", daemon=True)

    def _beat(self) -> None:
        while not self.stopped.wait(interval()):
            touch(self.name)

    def __enter__(self) -> Heartbeat:
        touch(self.name)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()
        with contextlib.suppress(redis.RedisError):  # Redis away: the key expires on its own
            self.client.delete(self.key)
