"""The run and workspace sockets tell a stranger nothing, and accept only this site's pages.

Against a real Daphne: a run or workspace of someone else's is refused exactly like one that
does not exist (same error, same close code); the Origin must be the socket URL's own scheme,
host and port.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.integration.realtime.harness import Server, open_socket, receive
from tests.support.live import live_server


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with live_server() as live:
        yield live


async def refusal(server: Server, path: str, user: dict[str, Any]) -> tuple[Any, ...]:
    async with await open_socket(server, path, user) as socket:
        error = await receive(socket)
        with pytest.raises(ConnectionClosed):
            await receive(socket)
        return error["data"]["code"], error["data"]["message"], socket.close_code


def test_a_foreign_run_or_workspace_is_refused_like_a_missing_one(server: Server) -> None:
    team = server.control("team", members={"owner": "owner", "stranger": None})
    mine = server.control("team", members={"stranger": "owner"})["users"]["stranger"]
    run = server.control("create_run", workspace=team["workspace"], steps=1)["run"]
    missing_run, missing_workspace = run + 10_000, team["workspace"] + 10_000

    async def check() -> None:
        foreign = await refusal(server, f"/ws/runs/{run}/", mine)
        missing = await refusal(server, f"/ws/runs/{missing_run}/", mine)
        assert foreign[2] == missing[2] == 4404
        assert foreign[0] == missing[0] == "not_found"
        assert foreign[1].replace(str(run), "N") == missing[1].replace(str(missing_run), "N")
        ws = team["workspace"]
        foreign = await refusal(server, f"/ws/workspaces/{ws}/", mine)
        missing = await refusal(server, f"/ws/workspaces/{missing_workspace}/", mine)
        assert foreign[2] == missing[2] == 4404
        assert foreign[1].replace(str(ws), "N") == missing[1].replace(str(missing_workspace), "N")

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
