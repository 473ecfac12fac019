"""Publishes saved changes to the channel groups that watch them (after the DB commit)."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from importlib import import_module
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from designer.realtime.protocol import RUN_LEVEL_EVENTS

logger = logging.getLogger(__name__)
PUBLISH_ATTEMPTS = 2
FLUSH_SECONDS = 5.0  # a process's wait at its exit for publishes it handed over


def run_group(run_id: int) -> str:
    """The channel group of everyone watching one run."""
    return f"run.{run_id}"


def workspace_group(workspace_id: int) -> str:
    """The channel group of everyone watching a workspace's run list."""
    return f"workspace.{workspace_id}"


def member_group(workspace_id: int, user_id: int) -> str:
    """The channel group of one user's sockets on one workspace (runs and run list)."""
    return f"member.{workspace_id}.{user_id}"


def graph_group(graph_id: int) -> str:
    """The channel group of every server process that holds a co-editing room of one graph."""
    return f"graph.{graph_id}"


def token_group(token_id: int) -> str:
    """The channel group of the sockets signed in with one API token."""
    return f"token.{token_id}"


def session_group(session_digest: str) -> str:
    """The channel group of the sockets signed in with one session (by its key's hash)."""
    return f"session.{session_digest}"


def user_group(user_id: int) -> str:
    """The channel group of one user's session sockets, whatever their session."""
    return f"user.{user_id}"


def session_digest(session_key: str) -> str:
    """A session key's name in groups and in what a process remembers (never the key itself)."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def endpoint_key_group(key_id: int) -> str:
    """The channel group of the sockets signed in with one endpoint key."""
    return f"endpoint-key.{key_id}"


class _Publisher:
    """One event loop thread per process on which the process's sync code publishes.

    `async_to_sync` from a plain thread (a Celery worker) runs each call on a new event loop,
    and channels_redis keeps its connections per loop: every publish opened a Redis connection
    (7-14 ms a publish, measured; decision 0009). Here the loop, and so the connection, lasts.
    Publishes handed over with `submit` go out one after another, in the order given, while the
    caller goes on (a Celery worker starts its next step meanwhile: decision 0033).
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue[Callable[[], Coroutine[Any, Any, None]]] = asyncio.Queue()
        threading.Thread(
            target=self.loop.run_forever, name="realtime-publisher", daemon=True
        ).start()
        self.sender = asyncio.run_coroutine_threadsafe(self._send_queued(), self.loop)

    def run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def submit(self, send: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, send)

    async def _send_queued(self) -> None:
        while True:
            await _send(await self.queue.get())
            self.queue.task_done()

    def flush(self, timeout: float) -> None:
        """Wait (up to `timeout` seconds) until what was handed over is sent."""
        with contextlib.suppress(Exception):  # gone or late: the hub's check sends it from the log
            asyncio.run_coroutine_threadsafe(self.queue.join(), self.loop).result(timeout)


def flush(timeout: float = FLUSH_SECONDS) -> None:
    """Send what this process handed to its publisher and has not sent yet (at its exit)."""
    publisher = _publisher
    if publisher is not None and publisher.pid == os.getpid():
        publisher.flush(timeout)


atexit.register(flush)


async def _send(send: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """`send()`, tried again once on a fresh connection, then given up with a warning."""
    for attempt in range(PUBLISH_ATTEMPTS):
        try:
            await send()
            return
        except Exception:  # Redis restarted (a stale connection) or away; the state is saved
            if attempt + 1 == PUBLISH_ATTEMPTS:
                logger.warning("realtime: a publish failed; sockets catch up from the log")


def _import_layer_backend() -> None:
    """Import the channel layer's module when this module is (at process start), not on the
    first publish: for Redis that is channels_redis and its client, ~100 ms that landed on a
    worker's first event (measured; decision 0009)."""
    try:
        backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    except (ImproperlyConfigured, KeyError, TypeError):
        return
    import_module(backend.rpartition(".")[0])


_import_layer_backend()
_publisher: _Publisher | None = None
_publisher_lock = threading.Lock()


def _publish(
    layer: Any, send: Callable[[], Coroutine[Any, Any, None]], *, wait: bool = True
) -> None:
    """Run `send` (a coroutine function using `layer`) to completion from sync code (`wait`
    False: hand it to this process's publisher, or to the server's loop for the in-memory
    layer, which sends it after what it was given before).

    Called after the commit of what it announces, so it never raises: a publish is tried
    again once on a fresh connection (the first command after a Redis restart fails on the
    old one; a message sent twice is dropped by seq at the socket), then given up with a
    warning. Sockets lose nothing: the hub's check sends what never arrived from the log.
    """
    global _publisher
    if isinstance(layer, InMemoryChannelLayer):
        # Lives on the server's event loop, the one that started this thread (sync_to_async):
        # a call not waited for is handed to it; otherwise async_to_sync hands it over and
        # waits (a hop: ~0.2 ms of a request).
        loop = None if wait else _server_loop()
        if loop is None or not _hand_over(loop, send):
            async_to_sync(send)()
        return
    with _publisher_lock:
        if _publisher is None or _publisher.pid != os.getpid():  # none yet, or forked
            _publisher = _Publisher()
        publisher = _publisher
    if wait:
        publisher.run(_send(send))
    else:
        publisher.submit(send)


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop whose `sync_to_async` runs this thread's code, as async_to_sync
    finds it (asgiref's thread-local), or None (a thread no loop started, or a forked one)."""
    local = SyncToAsync.threadlocal
    loop: asyncio.AbstractEventLoop | None = getattr(local, "main_event_loop", None)
    if loop is None or getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() else None


def _hand_over(
    loop: asyncio.AbstractEventLoop, send: Callable[[], Coroutine[Any, Any, None]]
) -> bool:
    """Schedule `send` on `loop` without waiting for it; False when the loop has closed."""
    coroutine = _send(send)
    try:
        asyncio.run_coroutine_threadsafe(coroutine, loop)
    except RuntimeError:  # closed since it was found running (the server stopping)
        coroutine.close()
        return False
    return True


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def send() -> None:
        await layer.group_send(group, message)

    _publish(layer, send)


def publish_run_events(workspace_id: int, envelopes: list[dict[str, Any]]) -> None:
    """Send committed run event envelopes to their run's group in one event-loop hop, without
    waiting for them (after this process's earlier ones; one lost with the process is sent
    from the log by the hub's check).

    Run-level events (a run started, finished) also go to the workspace's group. Each group
    gets the envelopes as one `protocol.messages` (in order; the hub hands its sockets one
    `protocol.message` each): a transition's events cost one channel-layer message per
    watching process, not one per event.
    """
    layer = get_channel_layer()
    if layer is None or not envelopes:
        return
    batches: dict[str, list[dict[str, Any]]] = {}
    for envelope in envelopes:
        batches.setdefault(run_group(envelope["run_id"]), []).append(envelope)
        if envelope["type"] in RUN_LEVEL_EVENTS:
            batches.setdefault(workspace_group(workspace_id), []).append(envelope)

    async def send_all() -> None:
        watched = await _watched(layer, list(batches))
        for group, batch in batches.items():
            if group in watched:
                await layer.group_send(group, {"type": "protocol.messages", "messages": batch})

    _publish(layer, send_all, wait=False)


async def _watched(layer: Any, groups: list[str]) -> set[str]:
    """Those of `groups` that have a member, as channels_redis's `group_send` finds them (its
    expired members dropped first), in one round trip per Redis host: a message to a group
    without members is not sent (channels_redis would read the members and send nothing; two
    round trips per message, for each event of a run nobody watches). Every group for another
    layer. A socket that joins meanwhile gets the message from the log, as any that joins
    after a `group_send` read the members (the hub's check)."""
    if not isinstance(layer, RedisChannelLayer):
        return set(groups)
    hosts: dict[int, list[str]] = {}
    for group in groups:
        hosts.setdefault(layer.consistent_hash(group), []).append(group)
    expired = int(time.time()) - layer.group_expiry
    watched: set[str] = set()
    for index, named in hosts.items():
        pipe = layer.connection(index).pipeline(transaction=False)
        for group in named:
            key = layer._group_key(group)
            pipe.zremrangebyscore(key, min=0, max=expired)
            pipe.zcard(key)
        members = (await pipe.execute())[1::2]
        watched.update(group for group, count in zip(named, members, strict=True) if count)
    return watched


def publish_shared_update(graph_id: int, update: bytes, generation: int) -> None:
    """Send a saved change of a graph's shared state (of `generation`) to its co-editing rooms
    after the commit; rooms on another generation ignore it (decision 0036).

    Call it from the graphs service that changed the stored state (a REST save, a restore).
    """
    message = {
        "type": "collab.changes",
        "update": update,
        "awareness": None,
        "origin": "server",
        "generation": generation,
    }
    group = graph_group(graph_id)
    transaction.on_commit(lambda: _group_send(group, message))


def member_role_changed(workspace_id: int, user_id: int) -> None:
    """Tell a user's sockets on a workspace that their role changed, once committed."""
    group = member_group(workspace_id, user_id)
    transaction.on_commit(lambda: _group_send(group, {"type": "member.role_changed"}))


def disconnect_member(workspace_id: int, user_id: int) -> None:
    """Close every socket a user has on a workspace, once the current transaction commits.

    Call it from the membership service right after deleting the Membership row.
    """
    group = member_group(workspace_id, user_id)
    transaction.on_commit(lambda: _group_send(group, {"type": "member.removed"}))


def disconnect_token(token_id: int, reason: str = "Your API token was revoked.") -> None:
    """Close every socket signed in with an API token, once the current transaction commits.

    Call it from the token service right after saving the revocation (or when the token's user
    is deactivated, with that reason).
    """
    message = {"type": "token.revoked", "reason": reason}
    transaction.on_commit(lambda: _group_send(token_group(token_id), message))


def disconnect_endpoint_key(key_id: int) -> None:
    """Close every socket signed in with an endpoint key, once the current transaction commits."""
    group = endpoint_key_group(key_id)
    transaction.on_commit(lambda: _group_send(group, {"type": "token.revoked"}))


def end_session(session_key: str) -> None:
    """Close every socket signed in with a session, once the current transaction commits.

    Called by the session store whenever a session is deleted: a sign-out, a key cycled (at a
    sign-in, a password change in that browser), a session Django found no longer valid.
    """
    group = session_group(session_digest(session_key))
    message = {"type": "session.ended", "reason": "You were signed out."}
    transaction.on_commit(lambda: _group_send(group, message))


def end_user_sessions(user_id: int, reason: str) -> None:
    """Close every session socket of a user (a password change, the account deactivated), once
    the current transaction commits."""
    message = {"type": "session.ended", "reason": reason}
    transaction.on_commit(lambda: _group_send(user_group(user_id), message))
