"""A member removed from a workspace keeps no socket on it and opens none, on any server.

Sockets remember what they checked (a member's membership, a token's validity, a run's
snapshot) on the process's group subscription until a message arrives on that group (decision
0038). The attacker here is a viewer being removed who holds sockets open on two servers
(Redis between them, so those answers are remembered in both) and keeps reconnecting while the
owner removes them through the REST API of one server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.integration.realtime.harness import Server, open_socket, receive, two_servers

pytestmark = pytest.mark.redis
REDIS_DB = 11  # a database index of its own: no other suite's groups


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Server, Server]]:
    """Two Daphne processes on one database and one Redis (make run-distributed), with no cap
    on a user's open sockets: a test here reconnects as fast as a server answers until the
    removal is done, which on a busy machine lets in more than the default 100 first."""
    with two_servers(REDIS_DB, DESIGNER_MAX_OPEN_SOCKETS="0") as pair:
        yield pair


@pytest.fixture
def team(servers: tuple[Server, Server]) -> dict[str, Any]:
    """A workspace with an owner, an editor and a viewer, and a queued run in it."""
    team = servers[0].control(
        "team", members={"owner": "owner", "editor": "editor", "viewer": "viewer"}
    )
    team["run"] = servers[0].control("create_run", workspace=team["workspace"], steps=2)["run"]
    return team


def run_async(coroutine: Any) -> None:
    """Run a test's coroutine in a fresh event loop (the WebSocket clients are asyncio)."""
    asyncio.run(asyncio.wait_for(coroutine, timeout=90))


async def revoked(socket: ClientConnection) -> None:
    """The socket is told it was removed and closed with 4410, whatever it had before."""
    while True:
        message = await receive(socket)
        if message["type"] == "error":
            break
    assert message["data"]["code"] == "membership_revoked"
    with pytest.raises(ConnectionClosed):
        await receive(socket)
    assert socket.close_code == 4410


async def refused(server: Server, path: str, user: dict[str, Any]) -> None:
    """A new socket is refused like a missing run or workspace (4404) before it sees anything."""
    async with await open_socket(server, path, user) as socket:
        message = await receive(socket)
        assert message["type"] == "error" and message["data"]["code"] == "not_found", message
        with pytest.raises(ConnectionClosed):
            await receive(socket)
        assert socket.close_code == 4404


def remove(server: Server, team: dict[str, Any], user: dict[str, Any]) -> None:
    path = f"/api/workspaces/{team['workspace']}/members/{user['id']}/"
    status, body = server.http("DELETE", path, token=team["users"]["owner"]["token"])
    assert status == 204, body


def test_open_sockets_close_and_new_ones_are_refused_on_every_server(
    servers: tuple[Server, Server], team: dict[str, Any]
) -> None:
    viewer, editor = team["users"]["viewer"], team["users"]["editor"]
    paths = [f"/ws/runs/{team['run']}/", f"/ws/workspaces/{team['workspace']}/"]

    async def attack() -> None:
        # two sockets of each kind on each server: the second is let in on remembered answers
        held = [await open_socket(s, p, viewer) for s in servers for p in paths for _ in (1, 2)]
        for socket in held:
            assert (await receive(socket))["type"] in {"run.snapshot", "workspace.snapshot"}
        watching = await open_socket(servers[1], paths[0], editor)
        await receive(watching)

        await asyncio.to_thread(remove, servers[0], team, viewer)

        for socket in held:
            await revoked(socket)
        for server in servers:
            for path in paths:
                await refused(server, path, viewer)
        # the rest of the workspace is unaffected
        events = [["run.started", None, {}]]
        await asyncio.to_thread(servers[0].control, "produce", run=team["run"], events=events)
        assert (await receive(watching))["data"] == {"status": "running"}
        await watching.close()

    run_async(attack())


def test_reconnecting_during_the_removal_keeps_no_socket(
    servers: tuple[Server, Server], team: dict[str, Any]
) -> None:
    viewer = team["users"]["viewer"]
    path = f"/ws/runs/{team['run']}/"

    async def attack() -> None:
        held = [await open_socket(server, path, viewer) for server in servers]
        for socket in held:
            await receive(socket)
        opened: list[ClientConnection] = []
        removal = asyncio.create_task(asyncio.to_thread(remove, servers[0], team, viewer))
        while True:  # reconnect to the other server as fast as it answers, once more after
            opened.append(await open_socket(servers[1], path, viewer))
            if removal.done():
                break
        await removal
        for socket in held:
            await revoked(socket)
        await refused(servers[1], path, viewer)
        events = [["run.started", None, {}]]
        await asyncio.to_thread(servers[0].control, "produce", run=team["run"], events=events)
        # every socket opened meanwhile was refused, or let in and then closed as removed;
        # none stays open to see the run go on
        for socket in opened:
            messages = []
            with pytest.raises(ConnectionClosed):
                while True:
                    messages.append(await receive(socket))
            assert all(m["type"] != "run.status" for m in messages), messages
            assert socket.close_code in {4404, 4410}

    run_async(attack())
