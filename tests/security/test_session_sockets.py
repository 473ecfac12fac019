"""A session that ends keeps no socket open and opens none, on any server.

Session sockets (what the browser opens) remember whom their cookie signs in on the process's
session and user groups until a message arrives there (decision 0038). The attacker here holds
a session's sockets open on two servers (Redis between them, so the answers are remembered in
both) while the session is signed out through one server, the password is changed, or the
account is deactivated; the session's sockets must close (4440) and its cookie open no new
socket (a deactivated user's API-token sockets too: 4401), while what the change does not
touch keeps working.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import os
import secrets
import struct
from collections.abc import Iterator
from socket import create_connection
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.integration.realtime.harness import Server, open_socket, receive, two_servers

pytestmark = pytest.mark.redis
REDIS_DB = 12  # a database index of its own: no other suite's groups


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Server, Server]]:
    """Two Daphne processes on one database and one Redis (make run-distributed), with no cap
    on a user's open sockets: a test here reconnects as fast as a server answers until the
    sign-out is done, which on a busy machine lets in more than the default 100 first."""
    with two_servers(REDIS_DB, DESIGNER_MAX_OPEN_SOCKETS="0") as pair:
        yield pair


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


async def ended(
    socket: ClientConnection, code: str = "session_ended", close_code: int = 4440
) -> str:
    """The socket is told its session ended and closed with 4440 (or as `code` says, with
    `close_code`); returns the reason given."""
    while True:
        message = await receive(socket)
        if message["type"] == "error":
            break
    assert message["data"]["code"] == code, message
    with pytest.raises(ConnectionClosed):
        await receive(socket)
    assert socket.close_code == close_code
    return str(message["data"]["message"])


async def refused(
    servers: tuple[Server, Server], team: dict[str, Any], session: str, via: str = "session"
) -> None:
    """A new socket with the cookie (or `via` a token) is refused as signed out (4401) before it
    sees anything."""
    user = {"session": session} if via == "session" else {"token": session}
    for server in servers:
        for path in paths(team):
            async with await open_socket(server, path, user, via=via) as s:
                message = await receive(s)
                assert message["type"] == "error", message
                assert message["data"]["code"] == "unauthenticated", message
                with pytest.raises(ConnectionClosed):
                    await receive(s)
                assert s.close_code == 4401


async def still_watching(server: Server, team: dict[str, Any], socket: ClientConnection) -> None:
    """The run goes on and the socket sees it: what the change did not touch stays open."""
    events = [["run.started", None, {}]]
    await asyncio.to_thread(server.control, "produce", run=team["run"], events=events)
    assert (await receive(socket))["data"] == {"status": "running"}


class StalledSocket:
    """A raw WebSocket client that, once open, answers nothing: the server's close handshake
    with it waits (Autobahn gives it 1 s), and its groups stay subscribed on that server
    meanwhile, together with whatever they remember."""

    def __init__(self, server: Server, path: str, session: str) -> None:
        self.connection = create_connection(("127.0.0.1", server.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: designer.v1\r\nOrigin: {server.origin}\r\n"
            f"Cookie: sessionid={session}\r\n\r\n"
        )
        self.connection.sendall(request.encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._read()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        assert b" 101 " in head.split(b"\r\n")[0], head

    def _read(self) -> bytes:
        data = self.connection.recv(65536)
        assert data, "the server dropped the connection"
        return data

    def frame(self) -> tuple[int, bytes]:
        """The next frame the server sent: (opcode, payload)."""
        while True:
            header = self._header()
            if header is not None and len(self.buffer) >= sum(header):
                start, length = header
                opcode, payload = self.buffer[0] & 0x0F, self.buffer[start : start + length]
                self.buffer = self.buffer[start + length :]
                return opcode, payload
            self.buffer += self._read()

    def _header(self) -> tuple[int, int] | None:
        """(header size, payload length) of the buffered frame, once its header is all here."""
        if len(self.buffer) < 2:
            return None
        length = self.buffer[1] & 0x7F
        if length < 126:
            return 2, length
        size = 4 if length == 126 else 10
        if len(self.buffer) < size:
            return None
        return size, int.from_bytes(self.buffer[2:size], "big")

    def until_closed(self) -> list[bytes]:
        """The frames up to the server's close frame (not answered)."""
        frames = []
        while True:
            opcode, payload = self.frame()
            frames.append(payload)
            if opcode == 0x8:
                return frames


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
        by_token = [await open_socket(s, p, viewer) for s in servers for p in paths(team)]
        for socket in by_token:
            assert (await receive(socket))["type"] in {"run.snapshot", "workspace.snapshot"}
        owners = await open_socket(servers[1], paths(team)[0], owner, via="session")
        await receive(owners)

        await asyncio.to_thread(servers[0].control, "deactivate", user=viewer["id"])

        for socket in held:
            assert "deactivated" in await ended(socket)
        # an API token signs in only an active user: its sockets close too, new ones are refused
        for socket in by_token:
            assert "deactivated" in await ended(socket, "unauthenticated", 4401)
        await refused(servers, team, viewer["session"])
        await refused(servers, team, viewer["token"], via="subprotocol")
        await still_watching(servers[0], team, owners)
        await owners.close()

    run_async(attack())


def test_a_new_socket_is_refused_while_the_sessions_last_one_is_still_closing(
    servers: tuple[Server, Server], team: dict[str, Any]
) -> None:
    """The message that closes a session's sockets also makes the server forget whom the
    session signs in, at once: not only once its last socket there has gone."""
    viewer = team["users"]["viewer"]
    path = paths(team)[0]

    async def attack() -> None:
        stalled = await asyncio.to_thread(StalledSocket, servers[1], path, viewer["session"])
        assert b"run.snapshot" in (await asyncio.to_thread(stalled.frame))[1]

        await asyncio.to_thread(sign_out, servers[0], viewer["session"])

        frames = await asyncio.to_thread(stalled.until_closed)
        assert b"session_ended" in frames[-2] and frames[-1][:2] == struct.pack("!H", 4440)
        # the stalled socket keeps the session's groups on that server for up to a second
        async with await open_socket(
            servers[1], path, {"session": viewer["session"]}, via="session"
        ) as s:
            message = await receive(s)
            assert message["type"] == "error", message
            assert message["data"]["code"] == "unauthenticated", message
        stalled.connection.close()

    run_async(attack())


def test_reconnecting_during_the_sign_out_keeps_no_socket(
    servers: tuple[Server, Server], team: dict[str, Any]
) -> None:
    viewer = team["users"]["viewer"]
    user = {"session": viewer["session"]}
    path = paths(team)[0]

    async def attack() -> None:
        held = await hold(servers, team, viewer["session"])
        opened: list[ClientConnection] = []
        signing_out = asyncio.create_task(
            asyncio.to_thread(sign_out, servers[0], viewer["session"])
        )
        while True:  # reconnect to the other server as fast as it answers, once more after
            opened.append(await open_socket(servers[1], path, user, via="session"))
            if signing_out.done():
                break
        await signing_out
        for socket in held:
            await ended(socket)
        await refused(servers, team, viewer["session"])
        events = [["run.started", None, {}]]
        await asyncio.to_thread(servers[0].control, "produce", run=team["run"], events=events)
        # every socket opened meanwhile was refused, or let in and then closed as signed out;
        # none stays open to see the run go on
        for socket in opened:
            messages = []
            with pytest.raises(ConnectionClosed):
                while True:
                    messages.append(await receive(socket))
            assert all(m["type"] != "run.status" for m in messages), messages
            assert socket.close_code in {4401, 4440}

    run_async(attack())
