"""Liveness of Celery step attempts: a Redis key the running task renews, which expires if not.

The transition that starts an attempt (its claim, or a step started in place) sets the key
(`Pending`), then the step task holds a `Heartbeat` while its step runs. Every worker's
reconciler (runs.reconciler) looks at the keys of all running attempts and reports an attempt
lost once its key is gone, so a worker that was killed or lost its machine cannot leave a step
`running` forever. Keys expire on Redis's clock, not a host's; a key's value names the process
that holds the attempt and the Celery task it runs in (`host:pid:task id`): a worker runs a
step it made ready inside the task of the step before (runs.tasks), so revoking an attempt
means revoking that task.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from functools import cache
from typing import Any

import redis
from celery import current_task
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


def holder() -> str:
    """This process and the Celery task it runs (`host:pid:task id`), as a heartbeat names them."""
    task = current_task.request.id if current_task else ""
    return f"{socket.gethostname()}:{os.getpid()}:{task or ''}"


def carrier_tasks(names: list[str]) -> list[str]:
    """The Celery tasks the running attempts `names` run in (one round trip; none for an
    attempt without a heartbeat, none at all while Redis is away)."""
    try:
        values = _client(settings.REDIS_URL).mget([_key(name) for name in names]) if names else []
    except redis.RedisError:
        return []
    return [value.decode().split(":")[2] for value in values if value and value.count(b":") == 2]


def _sent_key(name: str) -> str:
    return f"designer:sent:{name}"


def sent_lately(names: list[str]) -> list[bool]:
    """Whether each queued attempt's task was sent within DESIGNER_RESEND_SECONDS."""
    pipe = _client(settings.REDIS_URL).pipeline(transaction=False)
    for name in names:
        pipe.exists(_sent_key(name))
    return [bool(found) for found in pipe.execute()]


def _taken_key(name: str) -> str:
    return f"designer:taken:{name}"


TAKEN_SECONDS = 3600  # how long a started attempt's task is known to be stale (then: its claim)


def mark_taken(name: str, run: str) -> None:
    """Note that attempt `name` of the run created at `run` was started without its task (a
    sibling's report started it in place, and committed): a worker that receives that task
    drops it (`taken`). Redis away: not noted (the task's claim drops it, as before)."""
    with contextlib.suppress(redis.RedisError):
        _client(settings.REDIS_URL).set(_taken_key(name), run, ex=TAKEN_SECONDS)


def taken(name: str, run: str) -> bool:
    """Whether attempt `name` of the run created at `run` was started without its task (see
    `mark_taken`; a run of another database with the same id is another run). False when
    Redis does not answer."""
    try:
        value = _client(settings.REDIS_URL).get(_taken_key(name))
    except redis.RedisError:
        return False
    return value is not None and value.decode() == run


def _touch_command(name: str) -> tuple[Any, ...]:
    return ("SET", _key(name), holder(), "PX", int(lifetime() * 1000))


def _sent_command(name: str) -> tuple[Any, ...]:
    return ("SET", _sent_key(name), 1, "PX", int(settings.DESIGNER_RESEND_SECONDS * 1000))


class Pending:
    """A transition's Redis writes, sent at once, their answers read by `wait`: the heartbeat
    of each attempt it starts, naming its holder (this process and task), and the mark of each
    task it sends, which lasts DESIGNER_RESEND_SECONDS (`sent_lately`).

    A transition sends them before its last statement and waits for them before it commits:
    their round trip overlaps the database's, and they are in Redis when it commits, as when
    they were made one after the other. A connection that fails makes them again the ordinary
    way (redis-py's retries). Redis away: none (a heartbeat's next beat tries again; an
    unmarked task is sent again once Redis is back, which its claim drops if it was not lost).
    """

    def __init__(self, beats: list[str], sent_names: list[str]):
        self.commands = [*map(_touch_command, beats), *map(_sent_command, sent_names)]
        self.connection: redis.connection.AbstractConnection | None = None
        if not self.commands:
            return
        pool = _client(settings.REDIS_URL).connection_pool
        try:
            connection = pool.get_connection()
        except redis.RedisError:
            return
        try:
            connection.send_packed_command(connection.pack_commands(self.commands))
        except redis.RedisError:
            connection.disconnect()
            pool.release(connection)
            return
        self.connection = connection

    def wait(self) -> None:
        """Read Redis's answers (or make the writes again if that fails); once only."""
        commands, self.commands = self.commands, []
        connection, self.connection = self.connection, None
        if connection is not None:
            pool = _client(settings.REDIS_URL).connection_pool
            try:
                for _ in commands:
                    connection.read_response()
                return
            except redis.RedisError:
                connection.disconnect()
            finally:
                pool.release(connection)
        if commands:
            pipe = _client(settings.REDIS_URL).pipeline(transaction=False)
            for command in commands:
                pipe.execute_command(*command)
            with contextlib.suppress(redis.RedisError):
                pipe.execute()


class _Beater:
    """The thread of one process that renews the heartbeats of the attempts it runs every
    interval, and deletes those of attempts that ended (one thread for the process's life,
    one Redis round trip a beat; the step's own thread waits for neither)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.names: dict[str, str] = {}  # attempt -> its heartbeat's value
        self.ended: list[str] = []  # attempts whose keys go at the next beat
        self.lock = threading.Lock()  # a renewal never brings back a key its attempt deleted
        threading.Thread(target=self._beat, name="heartbeats", daemon=True).start()

    def _beat(self) -> None:
        while True:
            time.sleep(interval())
            with self.lock:
                if not self.names and not self.ended:  # no step here since the last beat
                    continue
                pipe = _client(settings.REDIS_URL).pipeline(transaction=False)
                for name, value in self.names.items():
                    pipe.set(_key(name), value, px=int(lifetime() * 1000))
                if self.ended:
                    pipe.delete(*map(_key, self.ended))
                with contextlib.suppress(redis.RedisError):  # away: the next beat tries
                    pipe.execute()
                    self.ended.clear()


_beaters: list[_Beater] = []


def _beater() -> _Beater:
    """This process's beater (a forked pool process starts its own: threads do not fork)."""
    if not _beaters or _beaters[0].pid != os.getpid():
        _beaters[:] = [_Beater()]
    return _beaters[0]


class Heartbeat:
    """Keeps `name` alive while the `with` block runs: the attempt's claim (or the transition
    that started it in this process) set its key, the process's beater renews it, and deletes
    it at its next beat after the block (if the process is gone first, the key expires)."""

    def __init__(self, name: str):
        self.name, self.holder = name, holder()

    def __enter__(self) -> Heartbeat:
        beater = _beater()
        with beater.lock:
            beater.names[self.name] = self.holder
        return self

    def __exit__(self, *exc: object) -> None:
        beater = _beater()
        with beater.lock:
            beater.names.pop(self.name, None)
            beater.ended.append(self.name)  # no one looks at an ended attempt's key
