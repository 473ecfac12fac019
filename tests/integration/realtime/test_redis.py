"""The distributed setup: events produced in another process reach the socket through Redis."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from channels_redis.core import RedisChannelLayer

from designer.config import redis_channel_layer
from designer.realtime import hub as hub_module
from designer.realtime.hub import Hub
from tests.integration.realtime.conftest import STEPS
from tests.integration.realtime.harness import (
    Database,
    Server,
    open_socket,
    produce_in_subprocess,
    receive,
    receive_until_finished,
)
from tests.integration.realtime.script import RunView, expected_step, run_script, step_key

BURST = 300  # messages on one group: above channels_redis's default capacity (100)


async def test_events_from_a_separate_producer_process_reach_the_socket_through_redis(
    rt_database: Database, redis_server: Server, redis_url: str
) -> None:
    team: dict[str, Any] = redis_server.control("team", members={"viewer": "viewer"})
    run = redis_server.control("create_run", workspace=team["workspace"], steps=STEPS)["run"]
    viewer = team["users"]["viewer"]
    script = run_script(STEPS)
    async with await open_socket(redis_server, f"/ws/runs/{run}/", viewer) as socket:
        view = RunView(await receive(socket))
        producing = asyncio.create_task(
            asyncio.to_thread(produce_in_subprocess, rt_database, redis_url, run, script)
        )
        messages = await receive_until_finished(socket)
        produced = await producing
    assert messages[-1]["seq"] == produced["seqs"][-1]
    assert not redis_server.healed_lost_publishes(run)  # every event came live through Redis
    for message in messages:
        view.apply(message)
    for index in range(1, STEPS + 1):
        assert view.step_state(step_key(index)) == expected_step(index)


async def test_removed_member_is_disconnected_through_redis(redis_server: Server) -> None:
    team: dict[str, Any] = redis_server.control(
        "team", members={"owner": "owner", "viewer": "viewer"}
    )
    viewer = team["users"]["viewer"]
    path = f"/ws/workspaces/{team['workspace']}/"
    async with await open_socket(redis_server, path, viewer) as socket:
        await receive(socket)
        await asyncio.to_thread(
            redis_server.control, "remove_member", workspace=team["workspace"], user=viewer["id"]
        )
        error = await receive(socket)
    assert error["data"]["code"] == "membership_revoked"
    assert socket.close_code == 4410


async def test_an_idle_receive_outlasts_the_blocking_read_and_keeps_the_next_message(
    redis_url: str,
) -> None:
    """A hub's receive with nothing to read (a member group between events) neither fails nor
    loses the next message. channels_redis blocks in Redis (BZPOPMIN) for 5 s at a time; with
    the client's socket timeout also 5 s the client gave up first and dropped the connection,
    and a message Redis popped for it then was lost (a removal: the member kept the socket)."""
    layer = RedisChannelLayer(**redis_channel_layer(redis_url)["CONFIG"])
    channel = await layer.new_channel("realtime-hub.")
    receiving = asyncio.ensure_future(layer.receive(channel))
    done, _ = await asyncio.wait({receiving}, timeout=layer.brpop_timeout + 2)
    assert not done, receiving.exception()  # the idle read failed instead of waiting on
    await layer.send(channel, {"type": "member.removed"})
    assert await asyncio.wait_for(receiving, 30) == {"type": "member.removed"}


@pytest.mark.timeout(60)
async def test_leaving_a_group_does_not_hold_up_sockets_joining_others(redis_url: str) -> None:
    """Sockets leave groups while messages flow on another: each leave cancels a receive that
    may be blocked in Redis, and channels_redis with redis-py can swallow that cancel (the read
    then ends when it times out, or never). Leaving must not wait for it: every socket joining a
    group in the process waited too (a co-editing tab had waited ~10 s for its welcome)."""
    hub = Hub()
    hub.layer = RedisChannelLayer(**redis_channel_layer(redis_url)["CONFIG"])
    busy, joining = Subscriber(), Subscriber()
    await hub.subscribe("graph.busy", busy)
    started = time.monotonic()
    for index in range(12):
        leaving = Subscriber()
        await hub.subscribe(f"token.{index}", leaving)
        for _ in range(index % 4):
            await hub.layer.group_send("graph.busy", {"type": "collab.changes"})
        await asyncio.sleep(index % 3 * 0.001)
        await hub.unsubscribe(f"token.{index}", leaving)
    await hub.subscribe("graph.joined", joining)
    assert time.monotonic() - started < hub.layer.brpop_timeout, "leaving waited for reads"
    await hub.layer.group_send("graph.joined", {"type": "collab.changes"})
    await asyncio.wait_for(joining.delivered.wait(), 10)  # and the joined group hears at once
    for group, subscriber in (("graph.busy", busy), ("graph.joined", joining)):
        await hub.unsubscribe(group, subscriber)
    deadline = time.monotonic() + 3 * hub_module.STOP_SECONDS + 1
    while receiving := [t for t in asyncio.all_tasks() if "Hub._receive" in repr(t.get_coro())]:
        assert time.monotonic() < deadline, f"receives of groups left live on: {receiving}"
        await asyncio.sleep(0.1)


async def test_a_left_groups_receive_ends_by_itself_never_cancelled(redis_url: str) -> None:
    """Leaving ends the group's receive with a message to it, not a cancel: a cancel can land
    while that receive holds channels_redis's one shared read of the process (BZPOPMIN) and drop
    a message Redis popped for another group (a removal: the removed member kept the socket)."""
    hub = Hub()
    hub.layer = RedisChannelLayer(**redis_channel_layer(redis_url)["CONFIG"])
    other, leaving = Subscriber(), Subscriber()
    await hub.subscribe("member.other", other)
    receives = []
    for index in range(6):
        await hub.subscribe(f"token.{index}", leaving)
        receives.append(hub.groups[f"token.{index}"].task)
        await hub.layer.group_send("member.other", {"type": "member.removed"})
        await hub.unsubscribe(f"token.{index}", leaving)
    done, running = await asyncio.wait(receives, timeout=10)
    assert not running, "a left group's receive lives on"
    assert not [task for task in done if task.cancelled()], "leaving cancelled a receive"
    assert other.count == 6  # every message of the group still joined arrived


async def test_a_burst_on_one_group_does_not_crowd_out_another_groups_message(
    redis_url: str,
) -> None:
    """channels_redis keeps every hub channel of a process in one Redis queue, bounded by the
    channels' capacity: a burst on one group (a fast run's events, sent by another process while
    this one is busy) must not make Redis drop a message to another group (a removal)."""
    config = redis_channel_layer(redis_url)["CONFIG"]
    hub = Hub()
    hub.layer = RedisChannelLayer(**config)
    busy, member = Subscriber(), Subscriber()
    await hub.subscribe("workspace.burst", busy)
    await hub.subscribe("member.burst", member)

    async def burst() -> None:
        layer = RedisChannelLayer(**config)
        for _ in range(BURST):
            await layer.group_send("workspace.burst", {"type": "protocol.message", "message": {}})
        await layer.group_send("member.burst", {"type": "member.removed"})

    sender = threading.Thread(target=asyncio.run, args=(burst(),))
    sender.start()
    sender.join()  # this process's loop is busy (blocked) all along: nothing is read meanwhile
    await asyncio.wait_for(member.delivered.wait(), 30)
    for group, subscriber in (("workspace.burst", busy), ("member.burst", member)):
        await hub.unsubscribe(group, subscriber)


class Subscriber:
    """A socket of the hub that notes a delivery."""

    def __init__(self) -> None:
        self.delivered = asyncio.Event()
        self.count = 0

    async def deliver(self, message: dict[str, Any]) -> None:
        """Note the message."""
        self.count += 1
        self.delivered.set()
