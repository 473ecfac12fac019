"""A left group's receive ends: by the message leaving sends it, else by a cancel."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

from designer.realtime import hub as hub_module
from designer.realtime.hub import Hub


class Socket:
    """A subscriber that takes nothing."""

    async def deliver(self, message: dict[str, Any]) -> None:
        """Ignore the message."""


class FullLayer(InMemoryChannelLayer):
    """An in-memory layer whose channels take no direct message."""

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        """Refuse it, as a full channel does."""
        raise ChannelFull(channel)


def test_a_receive_that_leaving_cannot_tell_is_cancelled() -> None:
    async def scenario() -> asyncio.Task[None]:
        hub = Hub()
        hub.layer = FullLayer()
        await hub.subscribe("token.1", Socket())
        receive = hub.groups["token.1"].task
        assert receive is not None
        await hub.unsubscribe("token.1", next(iter(hub.groups["token.1"].sockets)))
        await asyncio.wait({receive}, timeout=2 * hub_module.STOP_SECONDS)
        return receive

    receive = asyncio.run(scenario())
    assert receive.done() and receive.cancelled()


def test_a_left_groups_receive_ends_by_itself_in_memory() -> None:
    async def scenario() -> asyncio.Task[None]:
        hub, socket = Hub(), Socket()
        await hub.subscribe("token.1", socket)
        receive = hub.groups["token.1"].task
        assert receive is not None
        await hub.unsubscribe("token.1", socket)
        await asyncio.wait({receive}, timeout=2)
        return receive

    receive = asyncio.run(scenario())
    assert receive.done() and not receive.cancelled()
