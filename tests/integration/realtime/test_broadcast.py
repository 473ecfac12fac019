"""Publishing from sync code: one long-lived event loop per process for network channel layers."""

from __future__ import annotations

import asyncio
import gc
import threading
import uuid
import warnings
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer

from designer.realtime import broadcast


class RecordingLayer:
    """A stand-in for a network channel layer (channels_redis): records each send and its loop."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.loops: list[asyncio.AbstractEventLoop] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.loops.append(asyncio.get_running_loop())
        self.sent.append((group, message))


def envelope(kind: str, seq: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "run_id": 5, "seq": seq, "data": data}


@pytest.fixture
def layer(monkeypatch: pytest.MonkeyPatch) -> RecordingLayer:
    recording = RecordingLayer()
    monkeypatch.setattr(broadcast, "get_channel_layer", lambda: recording)
    monkeypatch.setattr(broadcast, "_publisher", None)
    return recording


def test_publishes_share_one_event_loop_across_calls_and_threads(layer: RecordingLayer) -> None:
    status = envelope("run.status", 1, {"status": "running"})
    progress = envelope("step.progress", 2, {"step": "n1", "value": 1, "max": 2})
    broadcast.publish_run_events(9, [status, progress])
    worker = threading.Thread(target=broadcast.publish_run_events, args=(9, [progress]))
    worker.start()
    worker.join()
    broadcast.flush()  # publishing does not wait for the sends; they go out in order
    assert [group for group, _ in layer.sent] == ["run.5", "workspace.9", "run.5"]
    # one layer message per group and call, its events in order
    assert layer.sent[0][1] == {"type": "protocol.messages", "messages": [status, progress]}
    assert layer.sent[1][1] == {"type": "protocol.messages", "messages": [status]}
    assert layer.sent[2][1] == {"type": "protocol.messages", "messages": [progress]}
    assert len(set(map(id, layer.loops))) == 1  # so channels_redis keeps one connection
    assert layer.loops[0].is_running()


def test_run_events_are_sent_in_order_without_the_caller_waiting(
    layer: RecordingLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Celery worker starts its next step while its last step's events go out."""
    gate = threading.Event()
    record = layer.group_send

    async def slow(group: str, message: dict[str, Any]) -> None:
        await asyncio.to_thread(gate.wait)
        await record(group, message)

    monkeypatch.setattr(layer, "group_send", slow)
    for seq in (1, 2):
        broadcast.publish_run_events(9, [envelope("step.progress", seq, {"step": "n1"})])
    assert layer.sent == []  # both calls returned while the first send still waits
    gate.set()
    broadcast.flush()
    assert [m["seq"] for _, message in layer.sent for m in message["messages"]] == [1, 2]


def test_a_forked_process_starts_its_own_publisher(
    layer: RecordingLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress = envelope("step.progress", 2, {"step": "n1", "value": 1, "max": 2})
    broadcast.publish_run_events(9, [progress])
    broadcast.flush()
    monkeypatch.setattr(broadcast.os, "getpid", lambda: -1)  # as in a forked Celery child
    broadcast.publish_run_events(9, [progress])
    broadcast.flush()
    assert len(set(map(id, layer.loops))) == 2


def test_a_failed_publish_is_tried_again_then_logged_never_raised(
    layer: RecordingLayer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """It runs after the commit of what it announces: raising would fail a saved request."""
    failures = [ConnectionError("Connection closed by server.")]  # a stale connection, once
    record = layer.group_send

    async def flaky(group: str, message: dict[str, Any]) -> None:
        if failures:
            raise failures.pop()
        await record(group, message)

    monkeypatch.setattr(layer, "group_send", flaky)
    broadcast.publish_run_events(9, [envelope("run.status", 1, {"status": "running"})])
    broadcast.flush()
    assert [group for group, _ in layer.sent] == ["run.5", "workspace.9"]  # the second try

    failures.extend(ConnectionError("redis is down") for _ in range(2))  # Redis is away
    broadcast.publish_run_events(9, [envelope("run.status", 2, {"status": "running"})])
    broadcast.flush()
    assert len(layer.sent) == 2 and not failures  # tried twice, then given up
    assert "a publish failed; sockets catch up from the log" in caplog.text


def test_the_in_memory_layer_is_used_through_async_to_sync(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memory = InMemoryChannelLayer()
    monkeypatch.setattr(broadcast, "get_channel_layer", lambda: memory)
    monkeypatch.setattr(broadcast, "_publisher", None)
    broadcast.publish_run_events(9, [envelope("run.status", 1, {"status": "running"})])
    assert broadcast._publisher is None  # no publishing loop: the layer lives on the caller's


def test_a_request_thread_hands_run_events_to_its_server_loop_without_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The in-memory layer lives on the server's loop: a request's thread (started by that loop)
    goes on while the loop delivers its run's events, in the order they were published."""
    memory = InMemoryChannelLayer()
    monkeypatch.setattr(broadcast, "get_channel_layer", lambda: memory)

    async def server() -> list[int]:
        channel = await memory.new_channel()
        await memory.group_add("run.5", channel)
        loop_free = asyncio.Event()
        deliver = memory.group_send

        async def held_back(group: str, message: dict[str, Any]) -> None:
            await loop_free.wait()  # the loop delivers nothing until the request has returned
            await deliver(group, message)

        monkeypatch.setattr(memory, "group_send", held_back)

        def request() -> None:
            for seq in (1, 2, 3):
                broadcast.publish_run_events(9, [envelope("step.log", seq, {"line": "x"})])

        try:
            await asyncio.wait_for(sync_to_async(request, thread_sensitive=False)(), 5)
        finally:
            loop_free.set()
        received = [await asyncio.wait_for(memory.receive(channel), 5) for _ in range(3)]
        return [message["messages"][0]["seq"] for message in received]

    assert asyncio.run(server()) == [1, 2, 3]


def test_a_loop_closed_since_it_was_found_gets_nothing_handed_over() -> None:
    """A server stopping between finding its loop and handing it the events: the publish falls
    back to async_to_sync, and no coroutine is left never awaited."""
    loop = asyncio.new_event_loop()
    loop.close()

    async def send() -> None:
        raise AssertionError("not sent on a closed loop")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert broadcast._hand_over(loop, send) is False
        gc.collect()


def test_events_go_only_to_groups_someone_watches(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run nobody watches costs one look at its groups, not two Redis round trips a message;
    a watched group gets every event, in order, in one message."""
    layer = RedisChannelLayer(hosts=[redis_url], prefix=f"test-{uuid.uuid4().hex}")
    monkeypatch.setattr(broadcast, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(broadcast, "_publisher", None)
    sent: list[str] = []
    send = layer.group_send

    async def recorded(group: str, message: dict[str, Any]) -> None:
        sent.append(group)
        await send(group, message)

    monkeypatch.setattr(layer, "group_send", recorded)

    async def watch(group: str) -> str:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        return channel

    with asyncio.Runner() as runner:  # the socket's side, on a loop of its own
        channel = runner.run(watch("run.5"))  # a socket on the run, none on workspace 9's list
        status = envelope("run.status", 1, {"status": "running"})
        progress = envelope("step.progress", 2, {"step": "n1", "value": 1, "max": 2})
        broadcast.publish_run_events(9, [status, progress])
        broadcast.flush()
        assert sent == ["run.5"]  # both events in one message, none to the workspace
        received = runner.run(layer.receive(channel))
        assert received == {"type": "protocol.messages", "messages": [status, progress]}
        runner.run(layer.group_discard("run.5", channel))
