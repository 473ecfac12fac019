"""A log flood reaches the socket batched and capped, every line in order, long lines cut."""

from __future__ import annotations

import asyncio
from typing import Any

from designer.realtime.protocol import LOG_MAX_CHARS, LOG_MAX_LINE_CHARS, LOG_MAX_LINES
from tests.integration.realtime.harness import Server, open_socket, receive

LINES = 5000


async def test_log_flood_arrives_in_capped_batches_without_losing_a_line(
    server: Server, team: dict[str, Any], run: int
) -> None:
    flood = [f"{i:06d} " + "x" * 93 for i in range(LINES)] + ["y" * (3 * LOG_MAX_LINE_CHARS)]
    events = [
        ["run.started", None, {}],
        ["step.started", "n1", {"attempt": 1, "reason": "cache miss"}],
        ["step.log", "n1", {"stream": "stdout", "lines": flood}],
        ["step.succeeded", "n1", {}],
    ]
    async with await open_socket(server, f"/ws/runs/{run}/", team["users"]["viewer"]) as socket:
        await receive(socket)
        await asyncio.to_thread(server.control, "produce", run=run, events=events)
        batches = []
        while (message := await receive(socket))["type"] != "step.status" or (
            message["data"]["status"] != "succeeded"
        ):
            if message["type"] == "step.log":
                batches.append(message["data"]["lines"])

    assert len(batches) <= (LINES * 100) // LOG_MAX_CHARS + LINES // LOG_MAX_LINES + 2
    for lines in batches:
        assert len(lines) <= LOG_MAX_LINES
        assert sum(map(len, lines)) <= LOG_MAX_CHARS
    received = [line for lines in batches for line in lines]
    assert received[:LINES] == flood[:LINES]
    assert len(received) == LINES + 1
    assert len(received[-1]) <= LOG_MAX_LINE_CHARS and received[-1].startswith("yyyy")
    assert received[-1].endswith("[truncated]")
