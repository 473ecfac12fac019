"""Reconnecting: the missed events exactly once, in order, then live ones; no gap, no duplicate."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.integration.realtime.conftest import STEPS
from tests.integration.realtime.harness import Server, open_socket, receive, receive_until_finished
from tests.integration.realtime.script import RunView, expected_step, run_script, step_key


async def test_disconnect_mid_run_and_resume_without_gap_or_duplicate(
    server: Server, team: dict[str, Any], run: int
) -> None:
    viewer = team["users"]["viewer"]
    script = run_script(STEPS)
    first, second, third = script[:20], script[20:45], script[45:]
    path = f"/ws/runs/{run}/"

    async with await open_socket(server, path, viewer) as socket:
        view = RunView(await receive(socket))
        await asyncio.to_thread(server.control, "produce", run=run, events=first)
        for _ in range(12):  # the client reads part of what was sent, then drops
            view.apply(await receive(socket))
    assert view.seq == 12

    # Events keep coming while the client is away.
    await asyncio.to_thread(server.control, "produce", run=run, events=second)

    async with await open_socket(server, path, viewer, resume_from=view.seq) as socket:
        producing = asyncio.create_task(
            asyncio.to_thread(server.control, "produce", run=run, events=third, pause=0.002)
        )
        messages = await receive_until_finished(socket)
        await producing
    assert [m["seq"] for m in messages] == list(range(13, messages[-1]["seq"] + 1))
    for message in messages:
        view.apply(message)
    for index in range(1, STEPS + 1):
        assert view.step_state(step_key(index)) == expected_step(index)


async def test_resume_request_on_an_open_socket_rewinds_the_stream(
    server: Server, team: dict[str, Any], run: int
) -> None:
    viewer = team["users"]["viewer"]
    script = run_script(3)
    await asyncio.to_thread(server.control, "produce", run=run, events=script[:10])
    async with await open_socket(server, f"/ws/runs/{run}/", viewer) as socket:
        snapshot = await receive(socket)
        assert snapshot["seq"] == 10  # one message per event so far
        await socket.send(json.dumps({"resume_from": 4}))
        replayed = [await receive(socket) for _ in range(6)]
        assert [m["seq"] for m in replayed] == [5, 6, 7, 8, 9, 10]
        await asyncio.to_thread(server.control, "produce", run=run, events=script[10:12])
        assert [(await receive(socket))["seq"] for _ in range(2)] == [11, 12]

        await socket.send(json.dumps({"resume_from": "soon", "extra": 1}))
        error = await receive(socket)
        assert error["type"] == "error" and error["data"]["code"] == "bad_request"
        await asyncio.to_thread(server.control, "produce", run=run, events=script[12:13])
        assert (await receive(socket))["seq"] == 13  # a bad message does not close the socket


async def test_a_lost_publish_is_filled_from_the_log_before_the_next_event(
    server: Server, team: dict[str, Any], run: int
) -> None:
    script = run_script(2)
    async with await open_socket(server, f"/ws/runs/{run}/", team["users"]["viewer"]) as socket:
        view = RunView(await receive(socket))
        await asyncio.to_thread(server.control, "produce", run=run, events=script[:2])
        view.apply(await receive(socket))
        view.apply(await receive(socket))
        lost = await asyncio.to_thread(
            server.control, "produce_unpublished", run=run, events=script[2:5]
        )
        assert lost["seq"] == 5
        await asyncio.to_thread(server.control, "produce", run=run, events=script[5:6])
        messages = [await receive(socket) for _ in range(4)]
    assert [m["seq"] for m in messages] == [3, 4, 5, 6]
    for message in messages:
        view.apply(message)
    assert view.steps["n1"]["status"] == "running"
    assert view.steps["n1"]["progress"] == {"value": 2.0, "max": 2.0}
    assert view.logs["n1"] == ["n1: half", "n1: ok"]


async def test_events_whose_publish_was_lost_arrive_without_any_later_event(
    server: Server, team: dict[str, Any], run: int
) -> None:
    script = run_script(1)
    async with await open_socket(server, f"/ws/runs/{run}/", team["users"]["viewer"]) as socket:
        view = RunView(await receive(socket))
        await asyncio.to_thread(server.control, "produce", run=run, events=script[:3])
        for _ in range(3):
            view.apply(await receive(socket))
        # The run's last events are saved but never published (say the producer crashed):
        # the server notices within a couple of seconds and sends them from the log.
        await asyncio.to_thread(server.control, "produce_unpublished", run=run, events=script[3:])
        messages = await receive_until_finished(socket, timeout=10)
    for message in messages:
        view.apply(message)
    assert view.run["status"] == "succeeded"
    assert view.steps["n1"]["status"] == "succeeded"
    assert server.healed_lost_publishes(run)
