"""Per-process fan-out: one channel-layer subscription per group, shared by the local sockets.

With one layer channel per socket, an event watched by N sockets costs N layer messages (N
Redis round trips, or N in-memory queue hand-offs and task wake-ups) before any frame is
written. The hub gives each group one layer channel per process and hands every message on it
to the local subscribers in a plain loop; each socket writes the event's frame, built once
(frames.py), straight to its connection.

A subscription also remembers what sockets read about its group while nothing arrives on it
(`recall`): a user's membership on the member group, a token's validity on the token group, a run's
snapshot on the run group. Every message on the group (a removal, a revocation, a run's event)
forgets it, so a socket that joined the group before asking never acts on a stale answer: what
changed after the read reaches it as a message. Concurrent askers share one read.

It also checks, every SYNC_SECONDS, whether a watched run has events in the database beyond the
last one published to this process (a publish lost with a crashed producer, a full channel, a
Redis hiccup); if so its sockets are told to catch up from the log, so nothing stays missing.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from designer.config import HUB_CHANNEL_PREFIX
from designer.realtime.snapshot import latest_seqs

logger = logging.getLogger(__name__)
YIELD_EVERY = 25  # sockets served between yields to the event loop (reads, other groups, flushes)
SYNC_SECONDS = 1.0
RUN_GROUP_PREFIX = "run."
# A remembered answer is read again after this long even when no message changed it (a backstop
# for a change whose message was lost, e.g. a user deactivated in the admin, which sends none).
RECALL_SECONDS = 10.0
# The message that ends a left group's receive. Leaving never cancels it: a cancel can land while
# that receive holds channels_redis's one shared read of the process and drop a message popped
# for another group (a removal: the member kept the socket); redis-py can also swallow a cancel.
LEFT = "hub.left"
STOP_SECONDS = 1.0  # how often the receive is cancelled again when LEFT could not be sent
T = TypeVar("T")


class Subscriber(Protocol):
    """A socket that takes group messages."""

    async def deliver(self, message: dict[str, Any]) -> None:
        """Handle one layer message; must not wait on I/O other than its own socket."""


@dataclass
class Subscription:
    """One group's layer channel in this process, its receive task and its local sockets."""

    channel: str
    task: asyncio.Task[None] | None = None
    sockets: set[Subscriber] = field(default_factory=set)
    published: int = 0  # for run groups: the highest seq received (or read when joining)
    # answers read while subscribed: key -> (read again after, the read); see Hub.recall
    remembered: dict[str, tuple[float, asyncio.Future[Any]]] = field(default_factory=dict)

    def heard(self) -> None:
        """A message arrived on the group: what was read before it may be stale."""
        self.remembered.clear()


def _run_id(group: str) -> int | None:
    return int(group[len(RUN_GROUP_PREFIX) :]) if group.startswith(RUN_GROUP_PREFIX) else None


class Hub:
    """The process's subscriptions to channel-layer groups, for one event loop."""

    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.groups: dict[str, Subscription] = {}
        self.lock = asyncio.Lock()
        self.sync_task: asyncio.Task[None] | None = None

    async def subscribe(self, group: str, subscriber: Subscriber) -> None:
        """Start delivering the group's messages to `subscriber`."""
        async with self.lock:
            subscription = self.groups.get(group)
            if subscription is None:
                subscription = await self._join(group)
            subscription.sockets.add(subscriber)

    async def _join(self, group: str) -> Subscription:
        loop = asyncio.get_running_loop()
        subscription = Subscription(await self.layer.new_channel(HUB_CHANNEL_PREFIX))
        await self.layer.group_add(group, subscription.channel)
        run_id = _run_id(group)
        if run_id is not None:
            # What is stored now, the joining socket reads itself; losses count from here.
            stored = await database_sync_to_async(latest_seqs)([run_id])
            subscription.published = stored.get(run_id, 0)
            if self.sync_task is None:
                self.sync_task = loop.create_task(self._sync())
        subscription.task = loop.create_task(self._receive(group, subscription))
        self.groups[group] = subscription
        return subscription

    async def unsubscribe(self, group: str, subscriber: Subscriber) -> None:
        """Stop delivering the group's messages to `subscriber`."""
        async with self.lock:
            subscription = self.groups.get(group)
            if subscription is None or subscriber not in subscription.sockets:
                return
            subscription.sockets.discard(subscriber)
            if subscription.sockets:
                return
            del self.groups[group]
            await self.layer.group_discard(group, subscription.channel)
            try:
                await self.layer.send(subscription.channel, {"type": LEFT})
            except Exception:  # the layer is down (its receive ends on its own error) or full
                logger.exception("realtime hub: telling the receive of %s to end failed", group)
                if subscription.task is not None:
                    _stop(subscription.task)

    async def recall(
        self,
        group: str,
        key: str,
        read: Callable[[], Awaitable[T]],
        until: Callable[[T], float | None] | None = None,
    ) -> T:
        """`read()`'s answer about a group this process is subscribed to, read once until a
        message arrives on the group (or RECALL_SECONDS pass, or the wall-clock time `until`
        gives for the answer, e.g. a session's expiry); concurrent callers share one read.

        Call it after joining the group: a change after the read then reaches the caller as a
        message. Not subscribed: read every time.
        """
        subscription = self.groups.get(group)
        if subscription is None:
            return await read()
        entry = subscription.remembered.get(key)
        if entry is None or entry[0] < time.monotonic():
            future: asyncio.Future[T] = asyncio.ensure_future(read())
            entry = (time.monotonic() + RECALL_SECONDS, future)
            subscription.remembered[key] = entry
            future.add_done_callback(lambda done: _settle(subscription, key, done, until))
        return await asyncio.shield(entry[1])

    async def _receive(self, group: str, subscription: Subscription) -> None:
        # Until the group is left and its LEFT message read (leaving sends it; a message ahead of
        # it goes to no socket), or the layer fails after leaving (a cancel from _stop may turn
        # into another error, e.g. a KeyError for the channel's buffer in channels_redis).
        while True:
            try:
                message = await self.layer.receive(subscription.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                if self.groups.get(group) is not subscription:
                    return
                logger.exception("realtime hub: receiving %s from the channel layer failed", group)
                await asyncio.sleep(1)
                continue
            if message.get("type") == LEFT:
                return
            subscription.heard()
            for one in _one_by_one(message):
                seq = (one.get("message") or {}).get("seq")
                if isinstance(seq, int):
                    subscription.published = max(subscription.published, seq)
                await self._fan_out(subscription, one)

    async def _fan_out(self, subscription: Subscription, message: dict[str, Any]) -> None:
        for index, subscriber in enumerate(list(subscription.sockets), start=1):
            try:
                await subscriber.deliver(message)
            except Exception:
                logger.exception("realtime hub: a socket failed to take a message")
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let the server write what is queued so far

    async def _sync(self) -> None:
        stored_before: dict[str, int] = {}  # each run's last seq in the database, a tick ago
        while True:
            await asyncio.sleep(SYNC_SECONDS)
            runs = {g: r for g in self.groups if (r := _run_id(g)) is not None}
            stored_before = {g: s for g, s in stored_before.items() if g in runs}
            if not runs:
                continue
            try:
                stored = await database_sync_to_async(latest_seqs)(list(runs.values()))
            except Exception:
                logger.exception("realtime hub: reading the runs' last seq failed")
                continue
            for group, run_id in runs.items():
                before = stored_before.get(group)
                stored_before[group] = stored.get(run_id, 0)
                subscription = self.groups.get(group)
                if subscription is None or before is None or subscription.published >= before:
                    continue
                # In the database for a whole tick and still not received here: lost.
                logger.warning("realtime: %s events up to %s were not published", group, before)
                subscription.published = before
                subscription.heard()
                await self._fan_out(subscription, {"type": "protocol.sync", "seq": before})


def _one_by_one(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A group message as its sockets take it: a batch of run events (`protocol.messages`, one
    per transition and group, broadcast.publish_run_events) as one `protocol.message` each."""
    if message.get("type") != "protocol.messages":
        return [message]
    return [{"type": "protocol.message", "message": one} for one in message["messages"]]


def _stop(receive: asyncio.Task[None]) -> None:
    """Cancel a left group's receive that LEFT could not reach, and again every STOP_SECONDS
    until it ends; never wait for it. channels_redis and redis-py can swallow a cancel (a
    blocked Redis read then ends only when it times out, or never), and waiting under the hub's
    lock had kept every socket joining a group in the process waiting for its welcome."""
    if not receive.done():
        receive.cancel()
        asyncio.get_running_loop().call_later(STOP_SECONDS, _stop, receive)


def _settle(
    subscription: Subscription,
    key: str,
    read: asyncio.Future[Any],
    until: Callable[[Any], float | None] | None,
) -> None:
    """Drop a read that failed (or was cancelled), so the next caller reads again; bound a
    remembered answer by the time it says it ends."""
    entry = subscription.remembered.get(key)
    if entry is None or entry[1] is not read:
        return
    if read.cancelled() or read.exception():
        del subscription.remembered[key]
    elif until is not None and (ends := until(read.result())) is not None:
        ends_in = time.monotonic() + ends - time.time()
        subscription.remembered[key] = (min(entry[0], ends_in), read)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def get_hub() -> Hub:
    """The hub of the running event loop."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub
