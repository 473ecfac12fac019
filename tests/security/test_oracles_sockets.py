"""The run, workspace and graph sockets tell a stranger nothing, and accept only this site's pages.

Against a real Daphne: a run, workspace or co-edited graph of someone else's is refused exactly
like one that does not exist (same error, same close code); the Origin must be the socket URL's
own scheme, host and port.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.integration.realtime.harness import Server, open_socket, receive
from tests.support.live import live_server

EMPTY = {"schema_version": 1, "parameters": {}, "nodes": [], "edges": [], "comments": []}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with live_server() as live:
        yield live


async def refusal(server: Server, path: str, user: dict[str, Any]) -> tuple[Any, ...]:
    """(error code, message, close code) of a socket the server refuses."""
    async with await open_socket(server, path, user) as socket:
        error = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert error["type"] == "error"
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
        return error["data"]["code"], error["data"]["message"], socket.close_code


async def same_refusal(server: Server, user: dict[str, Any], foreign: str, missing: str) -> None:
    """A foreign object's socket is refused exactly like a missing one's (ids aside)."""
    theirs = await refusal(server, foreign, user)
    nothing = await refusal(server, missing, user)
    assert theirs[0] == nothing[0] == "not_found"
    assert theirs[2] == nothing[2] == 4404
    ids = re.compile(r"\d+")
    assert ids.sub("N", theirs[1]) == ids.sub("N", nothing[1])


def test_a_foreign_run_workspace_or_graph_is_refused_like_a_missing_one(server: Server) -> None:
    team = server.control("team", members={"owner": "owner", "stranger": None})
    mine = server.control("team", members={"stranger": "owner"})["users"]["stranger"]
    ws = team["workspace"]
    run = server.control("create_run", workspace=ws, steps=1)["run"]
    graph = server.control("create_graph", workspace=ws, document=EMPTY)["graph"]

    async def check() -> None:
        await same_refusal(server, mine, f"/ws/runs/{run}/", f"/ws/runs/{run + 10_000}/")
        await same_refusal(server, mine, f"/ws/workspaces/{ws}/", f"/ws/workspaces/{ws + 10_000}/")
        await same_refusal(
            server, mine, f"/ws/graphs/{graph}/edit/", f"/ws/graphs/{graph + 10_000}/edit/"
        )

    asyncio.run(check())


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:{other}",  # another site on the same host
        "https://127.0.0.1:{port}",  # another scheme
        "http://127.0.0.1",  # the default port is another port
        "http://localhost.evil.example:{port}",
        "null",
    ],
)
def test_an_origin_differing_in_scheme_host_or_port_is_refused(server: Server, origin: str) -> None:
    team = server.control("team", members={"viewer": "viewer"})
    run = server.control("create_run", workspace=team["workspace"], steps=1)["run"]
    viewer = team["users"]["viewer"]
    foreign = origin.format(port=server.port, other=server.port + 1)

    async def check() -> None:
        with pytest.raises(InvalidStatus) as refused:
            await open_socket(server, f"/ws/runs/{run}/", viewer, origin=foreign)
        assert refused.value.response.status_code == 403
        async with await open_socket(server, f"/ws/runs/{run}/", viewer) as socket:
            assert (await receive(socket))["type"] == "run.snapshot"  # this site's own origin

    asyncio.run(check())
