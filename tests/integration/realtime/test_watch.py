"""Watching a run: snapshot first, then every event in order, ending in every step's true state."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.integration.realtime.conftest import STEPS
from tests.integration.realtime.harness import (
    Server,
    open_socket,
    receive,
    receive_until_finished,
)
from tests.integration.realtime.script import RunView, expected_step, run_script, step_key


async def test_viewer_watches_a_ten_step_run_from_start_to_finish(
    server: Server, team: dict[str, Any], run: int
) -> None:
    viewer = team["users"]["viewer"]
    script = run_script(STEPS)
    async with await open_socket(server, f"/ws/runs/{run}/", viewer) as socket:
        snapshot = await receive(socket)
        assert snapshot["type"] == "run.snapshot" and snapshot["seq"] == 0
        assert [s["status"] for s in snapshot["data"]["steps"]] == ["pending"] * STEPS
        view = RunView(snapshot)
        producing = asyncio.create_task(
            asyncio.to_thread(server.control, "produce", run=run, events=script, pause=0.005)
        )
        messages = await receive_until_finished(socket)
        await producing

    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert not server.healed_lost_publishes(run)  # every event came live, none via the log
    statuses = [m["data"]["status"] for m in messages if m["type"] == "step.status"]
    assert statuses[:2] == ["queued", "running"]
    for message in messages:
        view.apply(message)
    assert view.run["status"] == "succeeded"
    assert view.finished is not None
    assert view.finished["counts"] == {
        "ran": STEPS - 1,
        "reused": 1,
        "failed": 0,
        "canceled": 0,
        "upstream_failed": 0,
    }
    for index in range(1, STEPS + 1):
        assert view.step_state(step_key(index)) == expected_step(index), step_key(index)
    assert view.logs["n1"] == ["n1: half", "n1: ok"]
    assert view.logs["n5"] == ["connection reset", "n5: half", "n5: ok"]

    # A client opening the run afterwards gets the same final state in one snapshot.
    async with await open_socket(server, f"/ws/runs/{run}/", viewer) as socket:
        final = await receive(socket)
    assert final["seq"] == messages[-1]["seq"]
    assert final["data"]["run"]["status"] == "succeeded"
    assert final["data"]["run"]["finished_at"] is not None
    fresh = RunView(final)
    for index in range(1, STEPS + 1):
        assert fresh.step_state(step_key(index)) == expected_step(index)


async def test_every_way_to_authenticate_opens_the_socket(
    server: Server, team: dict[str, Any], run: int
) -> None:
    viewer = team["users"]["viewer"]
    for via in ("subprotocol", "header", "query", "session"):
        async with await open_socket(server, f"/ws/runs/{run}/", viewer, via=via) as socket:
            message = await receive(socket)
            assert message["type"] == "run.snapshot", via
            if via == "subprotocol":
                assert socket.subprotocol == "designer.v1"


async def test_workspace_socket_lists_runs_then_reports_run_level_changes(
    server: Server, team: dict[str, Any], run: int
) -> None:
    editor = team["users"]["editor"]
    path = f"/ws/workspaces/{team['workspace']}/"
    async with await open_socket(server, path, editor) as socket:
        listing = await receive(socket)
        assert listing["type"] == "workspace.snapshot"
        assert [(r["id"], r["status"], r["seq"]) for r in listing["data"]["runs"]] == [
            (run, "queued", 0)
        ]
        await asyncio.to_thread(server.control, "produce", run=run, events=run_script(2))
        changes = [await receive(socket) for _ in range(3)]
    assert [(m["type"], m["run_id"], m["data"]["status"]) for m in changes] == [
        ("run.status", run, "running"),
        ("run.status", run, "succeeded"),
        ("run.finished", run, "succeeded"),
    ]
    assert changes[0]["seq"] == 1 and changes[2]["seq"] > changes[1]["seq"] > 1
