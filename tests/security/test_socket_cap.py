"""One user cannot hold thousands of WebSockets open: past DESIGNER_MAX_OPEN_SOCKETS (per user,
endpoint key or signed-out address, on one server process) a socket is refused with 4429.

Any signed-in user could open sockets without end, each holding a file descriptor, a consumer
and its group subscriptions in the server process. Against a real Daphne with a cap of 6: the
seventh socket of a user is refused with an `error` and close code 4429, another user's socket
still opens, and a closed socket gives its place back (decision 0074).
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from designer.realtime.protocol import SUBPROTOCOL
from tests.e2e.server import LiveServer
from tests.integration.endpoints.test_live_server import Session

CAP = 6


@pytest.fixture
def live_settings() -> dict[str, str]:
    return {"DESIGNER_MAX_OPEN_SOCKETS": str(CAP)}


def open_socket(
    sockets: ExitStack, server: LiveServer, user: Session
) -> tuple[ClientConnection, dict[str, Any]]:
    """A workspace socket of `user` (closed with `sockets`), and its first message: the
    snapshot, or an error."""
    cookie = "; ".join(f"{k}={v}" for k, v in user.http.cookies.items())
    socket = sockets.enter_context(
        connect(
            f"ws://127.0.0.1:{server.port}/ws/workspaces/{server.workspace}/",
            additional_headers={"Cookie": cookie},
            subprotocols=[SUBPROTOCOL],
            origin=server.url,
        )
    )
    return socket, json.loads(socket.recv(timeout=30))


def test_a_user_past_the_cap_of_open_sockets_is_refused_and_others_are_not(
    live_designer: LiveServer,
) -> None:
    alice, bob = Session(live_designer), Session(live_designer, "bob")
    with ExitStack() as sockets:
        held = [open_socket(sockets, live_designer, alice) for _ in range(CAP)]
        assert [first["type"] for _, first in held] == ["workspace.snapshot"] * CAP
        refused, error = open_socket(sockets, live_designer, alice)
        assert error["type"] == "error", error
        assert error["data"]["code"] == "too_many_sockets"
        assert f"at most {CAP} at once (DESIGNER_MAX_OPEN_SOCKETS)" in error["data"]["message"]
        with pytest.raises(ConnectionClosed) as closed:
            refused.recv(timeout=30)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
        assert open_socket(sockets, live_designer, bob)[1]["type"] == "workspace.snapshot"
        held[0][0].close()  # a closed socket gives its place back (once the server sees it)
        for _ in range(50):
            socket, first = open_socket(sockets, live_designer, alice)
            if first["type"] == "workspace.snapshot":
                break
            socket.close()
        assert first["type"] == "workspace.snapshot"
