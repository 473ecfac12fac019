"""A socket whose client has just gone takes a send quietly and sends nothing more."""

from __future__ import annotations

import asyncio
from typing import Any

from autobahn.exception import Disconnected

from designer.realtime.consumers import WorkspaceConsumer


def test_a_send_to_a_connection_that_has_closed_marks_the_socket_closed_without_raising() -> None:
    sent: list[dict[str, Any]] = []

    async def gone(message: dict[str, Any]) -> None:  # what Daphne's send raises then
        sent.append(message)
        raise Disconnected("Attempt to send on a closed protocol")

    async def scenario() -> None:
        socket = WorkspaceConsumer()
        socket.base_send, socket.closed = gone, False
        await socket.send(text_data="{}")
        assert socket.closed
        await socket.send_message({"type": "run.status"})  # a closed socket sends nothing more
        await socket.refuse("internal", "never sent")

    asyncio.run(scenario())
    assert sent == [{"type": "websocket.send", "text": "{}"}]
