"""Who may watch: any member; not anonymous clients, outsiders, foreign origins, removed members."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.integration.realtime.harness import Server, open_socket, receive


async def refusal(server: Server, path: str, user: dict[str, Any] | None, **kw: Any) -> tuple:
    """Connect, and return the (error code, close code) the server refuses with."""
    async with await open_socket(server, path, user, **kw) as socket:
        error = await receive(socket)
        with pytest.raises(ConnectionClosed):
            await receive(socket)
        assert error["type"] == "error"
        return error["data"]["code"], socket.close_code


async def test_anonymous_client_is_refused(server: Server, run: int, team: dict) -> None:
    assert await refusal(server, f"/ws/runs/{run}/", None) == ("unauthenticated", 4401)
    path = f"/ws/workspaces/{team['workspace']}/"
    assert await refusal(server, path, None) == ("unauthenticated", 4401)


async def test_invalid_token_is_refused_even_with_a_valid_session(
    server: Server, run: int, team: dict
) -> None:
    forged = {"token": "dsn_not-a-real-token", "session": team["users"]["viewer"]["session"]}
    assert await refusal(server, f"/ws/runs/{run}/", forged) == ("unauthenticated", 4401)


async def test_non_member_is_refused(server: Server, run: int, team: dict) -> None:
    outsider = team["users"]["outsider"]
    assert await refusal(server, f"/ws/runs/{run}/", outsider) == ("not_found", 4404)
    path = f"/ws/workspaces/{team['workspace']}/"
    assert await refusal(server, path, outsider, via="session") == ("not_found", 4404)


async def test_unknown_run_and_workspace_are_refused(server: Server, team: dict) -> None:
    viewer = team["users"]["viewer"]
    assert await refusal(server, "/ws/runs/987654/", viewer) == ("not_found", 4404)
    assert await refusal(server, "/ws/workspaces/987654/", viewer) == ("not_found", 4404)


async def test_malformed_resume_from_is_refused(server: Server, run: int, team: dict) -> None:
    viewer = team["users"]["viewer"]
    path = f"/ws/runs/{run}/"
    assert await refusal(server, path, viewer, resume_from="x") == ("bad_request", 4400)
    assert await refusal(server, path, viewer, resume_from=5) == ("bad_request", 4400)


async def test_foreign_origin_is_refused_at_the_handshake(
    server: Server, run: int, team: dict
) -> None:
    viewer = team["users"]["viewer"]
    with pytest.raises(InvalidStatus) as refused:
        await open_socket(server, f"/ws/runs/{run}/", viewer, origin="http://evil.example")
    assert refused.value.response.status_code == 403


async def test_removed_member_is_disconnected_from_every_socket(
    server: Server, run: int, team: dict
) -> None:
    viewer, editor = team["users"]["viewer"], team["users"]["editor"]
    run_socket = await open_socket(server, f"/ws/runs/{run}/", viewer)
    list_socket = await open_socket(server, f"/ws/workspaces/{team['workspace']}/", viewer)
    bystander = await open_socket(server, f"/ws/runs/{run}/", editor)
    for socket in (run_socket, list_socket, bystander):
        await receive(socket)  # the snapshots

    await asyncio.to_thread(
        server.control, "remove_member", workspace=team["workspace"], user=viewer["id"]
    )

    for socket in (run_socket, list_socket):
        error = await receive(socket)
        assert error["data"]["code"] == "membership_revoked"
        with pytest.raises(ConnectionClosed):
            await receive(socket)
        assert socket.close_code == 4410
    # The editor keeps watching, and the removed viewer cannot come back.
    await asyncio.to_thread(server.control, "produce", run=run, events=[["run.started", None, {}]])
    assert (await receive(bystander))["data"] == {"status": "running"}
    await bystander.close()
    assert await refusal(server, f"/ws/runs/{run}/", viewer) == ("not_found", 4404)


async def test_revoking_a_token_closes_the_sockets_it_opened(
    server: Server, run: int, team: dict
) -> None:
    viewer = team["users"]["viewer"]
    by_token = await open_socket(server, f"/ws/runs/{run}/", viewer)
    by_session = await open_socket(server, f"/ws/runs/{run}/", viewer, via="session")
    for socket in (by_token, by_session):
        await receive(socket)  # the snapshots

    status, tokens = await asyncio.to_thread(
        server.http, "GET", "/api/tokens/", None, viewer["token"]
    )
    assert status == 200
    token_id = next(t["id"] for t in tokens["results"] if viewer["token"].startswith(t["prefix"]))
    status, _ = await asyncio.to_thread(
        server.http, "DELETE", f"/api/tokens/{token_id}/", None, viewer["token"]
    )
    assert status == 204

    error = await receive(by_token)
    assert error["data"]["code"] == "unauthenticated"
    with pytest.raises(ConnectionClosed):
        await receive(by_token)
    assert by_token.close_code == 4401
    # the session socket is not the token's: it keeps watching
    await asyncio.to_thread(server.control, "produce", run=run, events=[["run.started", None, {}]])
    assert (await receive(by_session))["data"] == {"status": "running"}
    await by_session.close()
    assert await refusal(server, f"/ws/runs/{run}/", viewer) == ("unauthenticated", 4401)
