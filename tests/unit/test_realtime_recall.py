"""A socket's remembered answer ends when the answer says it does (a session's expiry)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from designer.realtime.hub import Hub

GROUP = "session.test"


class Socket:
    """A subscriber that takes nothing."""

    async def deliver(self, message: dict[str, Any]) -> None:
        """Ignore the message."""


def reads_for(ends_in: float) -> int:
    """How many times three sockets of one process read an answer that ends in `ends_in` s."""

    async def scenario() -> int:
        hub, socket, reads = Hub(), Socket(), []

        async def read() -> dict[str, float]:
            reads.append(1)
            return {"expires": time.time() + ends_in}

        await hub.subscribe(GROUP, socket)
        for _ in range(3):
            await hub.recall(GROUP, "sign_in", read, until=lambda answer: answer["expires"])
        await hub.unsubscribe(GROUP, socket)
        return len(reads)

    return asyncio.run(scenario())


def test_an_answer_that_has_not_ended_is_read_once() -> None:
    assert reads_for(3600) == 1


def test_an_answer_that_has_ended_is_read_again() -> None:
    assert reads_for(-1) == 3
