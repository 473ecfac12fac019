"""A session that ends keeps no socket open and opens none, on any server.

Session sockets (what the browser opens) remember whom their cookie signs in on the process's
session and user groups until a message arrives there (decision 0038). The attacker here holds
a session's sockets open on two servers (Redis between them, so the answers are remembered in
both) while the session is signed out through one server, the password is changed, or the
account is deactivated; the session's sockets must close (4440) and its cookie open no new
socket, while what the change does not touch keeps working.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.integration.realtime.harness import Database, Server, open_socket, receive

pytestmark = pytest.mark.redis
REDIS_DB = 12  # a database index of its own: no other suite's groups


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Server, Server]]:
    """Two Daphne processes on one database and one Redis (make run-distributed)."""
    url = os.environ.get("TEST_REDIS_URL", "")
    assert url, "TEST_REDIS_URL is not set: make test starts the Redis these servers share"
    redis_url = urlunparse(urlparse(url)._replace(path=f"/{REDIS_DB}"))
    database = Database()
    pair = (Server(database, redis_url=redis_url), Server(database, redis_url=redis_url))
    yield pair
    for server in pair:
        server.stop()
    database.drop()


@pytest.fixture
def team(servers: tuple[Server, Server]) -> dict[str, Any]:
    """A workspace with an owner and a viewer, and a queued run in it."""
    team = servers[0].control("team", members={"owner": "owner", "viewer": "viewer"})
    team["run"] = servers[0].control("create_run", workspace=team["workspace"], steps=2)["run"]
    return team


def run_async(coroutine: Any) -> None:
    """Run a test's coroutine in a fresh event loop (the WebSocket clients are asyncio)."""
    asyncio.run(asyncio.wait_for(coroutine, timeout=90))


def paths(team: dict[str, Any]) -> list[str]:
    return [f"/ws/runs/{team['run']}/", f"/ws/workspaces/{team['workspace']}/"]


async def hold(servers: tuple[Server, Server], team: dict[str, Any], session: str) -> list[Any]:
    """Two sockets of each kind on each server with a session cookie (the second of each is let
    in on remembered answers), each past its snapshot."""
    user = {"session": session}
    held = [
        await open_socket(s, p, user, via="session")
        for s in servers
        for p in paths(team)
        for _ in "ab"
    ]
    for socket in held:
        assert (await receive(socket))["type"] in {"run.snapshot", "workspace.snapshot"}
    return held


async def ended(socket: ClientConnection) -> str:
    """The socket is told its session ended and closed with 4440; returns the reason given."""
    while True:
        message = await receive(socket)
        if message["type"] == "error":
            break
    assert message["data"]["code"] == "session_ended", message
    with pytest.raises(ConnectionClosed):
        await receive(socket)
    assert socket.close_code == 4440
    return str(message["data"]["message"])


async def refused(servers: tuple[Server, Server], team: dict[str, Any], session: str) -> None:
    """A new socket with the cookie is refused as signed out (4401) before it sees anything."""
    for server in servers:
        for path in paths(team):
            async with await open_socket(server, path, {"session": session}, via="session") as s:
                message = await receive(s)
                assert message["data"]["code"] == "unauthenticated", message
                with pytest.raises(ConnectionClosed):
                    await receive(s)
                assert s.close_code == 4401


async def still_watching(server: Server, team: dict[str, Any], socket: ClientConnection) -> None:
    """The run goes on and the socket sees it: what the change did not touch stays open."""
    events = [["run.started", None, {}]]
    await asyncio.to_thread(server.control, "produce", run=team["run"], events=events)
    assert (await receive(socket))["data"] == {"status": "running"}


def sign_out(server: Server, session: str) -> None:
    """Sign out in a browser: the sign-out form's POST with the session and CSRF cookies."""
    csrf = secrets.token_hex(16)  # Django takes a 32-character secret as cookie and token alike
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    cookies = f"sessionid={session}; csrftoken={csrf}"
    connection.request(
        "POST", "/accounts/logout/", headers={"Cookie": cookies, "X-CSRFToken": csrf}
    )
    response = connection.getresponse()
    response.read()
    assert response.status == 302, response.status
    assert 'sessionid=""' in (response.getheader("Set-Cookie") or "")


def test_sign_out_closes_the_sessions_sockets_on_every_server(
    servers: tuple[Server, Server], team: dict[str, Any]
) -> None:
    viewer = team["users"]["viewer"]
    other_browser = servers[0].control("sign_in", user=viewer["id"])["session"]

    async def attack() -> None:
        held = await hold(servers, team, viewer["session"])
        elsewhere = await open_socket(
            servers[1], paths(team)[0], {"session": other_browser}, via="session"
        )
        await receive(elsewhere)

        await asyncio.to_thread(sign_out, servers[0], viewer["session"])

        for socket in held:
            assert await ended(socket) == "You were signed out."
        await refused(servers, team, viewer["session"])
        # the same user's session in another browser is not signed out
        await still_watching(servers[0], team, elsewhere)
        await elsewhere.close()

    run_async(attack())


def test_a_password_change_closes_the_users_sessions_sockets(
    servers: tuple[Server, Server], team: dict[str, Any]
) -> None:
    viewer, owner = team["users"]["viewer"], team["users"]["owner"]
    other_browser = servers[0].control("sign_in", user=viewer["id"])["session"]

    async def attack() -> None:
        held = await hold(servers, team, viewer["session"])
        held += await hold(servers, team, other_browser)
        by_token = await open_socket(servers[1], paths(team)[0], viewer)
        await receive(by_token)
        owners = await open_socket(servers[1], paths(team)[0], owner, via="session")
        await receive(owners)

        await asyncio.to_thread(
            servers[0].control, "change_password", user=viewer["id"], password="a new one 123"
        )

        for socket in held:
            assert "password was changed" in await ended(socket)
        for session in (viewer["session"], other_browser):
            await refused(servers, team, session)
        # an API token is a credential of its own (revoked on its own); other users unaffected
        await still_watching(servers[0], team, by_token)
        assert (await receive(owners))["type"] == "run.status"
        await by_token.close()
        await owners.close()

    run_async(attack())


def test_a_deactivated_users_session_sockets_close(
    servers: tuple[Server, Server], team: dict[str, Any]
) -> None:
    viewer, owner = team["users"]["viewer"], team["users"]["owner"]

    async def attack() -> None:
        held = await hold(servers, team, viewer["session"])
        owners = await open_socket(servers[1], paths(team)[0], owner, via="session")
        await receive(owners)

        await asyncio.to_thread(servers[0].control, "deactivate", user=viewer["id"])

        for socket in held:
            assert "deactivated" in await ended(socket)
        await refused(servers, team, viewer["session"])
        await still_watching(servers[0], team, owners)
        await owners.close()

    run_async(attack())
