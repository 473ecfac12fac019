"""A batch of run events (one layer message per transition) reaches each socket event by event."""

from __future__ import annotations

import asyncio
from typing import Any

from designer.realtime.hub import Hub

GROUP = "workspace.9"  # not a run group: no database read when joining


class Socket:
    """A subscriber that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def deliver(self, message: dict[str, Any]) -> None:
        self.messages.append(message)


def test_a_batch_is_delivered_as_one_protocol_message_per_event_in_order() -> None:
    started = {"type": "run.status", "run_id": 5, "seq": 1, "data": {"status": "running"}}
    finished = {"type": "run.status", "run_id": 5, "seq": 7, "data": {"status": "succeeded"}}

    async def scenario() -> list[dict[str, Any]]:
        hub, sockets = Hub(), [Socket(), Socket()]
        for socket in sockets:
            await hub.subscribe(GROUP, socket)
        batch = {"type": "protocol.messages", "messages": [started, finished]}
        await hub.layer.group_send(GROUP, batch)
        await hub.layer.group_send(GROUP, {"type": "member.role_changed"})  # not a batch
        async with asyncio.timeout(5):
            while len(sockets[1].messages) < 3:
                await asyncio.sleep(0.01)
        assert sockets[0].messages == sockets[1].messages
        for socket in sockets:
            await hub.unsubscribe(GROUP, socket)
        return sockets[0].messages

    assert asyncio.run(scenario()) == [
        {"type": "protocol.message", "message": started},
        {"type": "protocol.message", "message": finished},
        {"type": "member.role_changed"},
    ]
