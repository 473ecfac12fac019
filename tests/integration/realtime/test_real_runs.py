"""Real runs started through the HTTP API, executed by the engine, watched over the socket."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.integration.realtime.harness import (
    CeleryWorker,
    Server,
    open_socket,
    receive,
    receive_until_finished,
)
from tests.integration.realtime.script import STEP_FIELDS, RunView

STEPS = 10


def chain(steps: int) -> dict[str, Any]:
    """A sample dataset, then select-columns steps whose params no earlier run used."""
    fresh = uuid.uuid4().hex
    nodes = [{"id": "s1", "module": "data.sample_dataset@1", "params": {"name": "iris"}}]
    edges = []
    for i in range(2, steps + 1):
        params = {"pattern": f"^{fresh}{i}$", "mode": "exclude"}
        nodes.append({"id": f"s{i}", "module": "transform.select_columns@1", "params": params})
        source, target = (
            {"node": f"s{i - 1}", "port": "dataset"},
            {"node": f"s{i}", "port": "dataset"},
        )
        edges.append({"id": f"e{i}", "source": source, "target": target})
    return {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": edges, "comments": []}


async def watch_real_run(server: Server, runner: str) -> None:
    """Start a 10-step run through the API and watch it to the end; check every step."""
    team = server.control("team", members={"editor": "editor", "viewer": "viewer"})
    editor, viewer = team["users"]["editor"], team["users"]["viewer"]
    status, graph = server.http(
        "POST",
        f"/api/workspaces/{team['workspace']}/graphs/",
        {"name": "watched", "document": chain(STEPS)},
        token=editor["token"],
    )
    assert status == 201, graph
    status, started = server.http(  # bypass the cache: every step really runs
        "POST", f"/api/graphs/{graph['id']}/runs/", {"bypass_cache": True}, token=editor["token"]
    )
    assert status in (200, 201, 202), started
    assert started["runner"] == runner
    async with await open_socket(server, f"/ws/runs/{started['id']}/", viewer) as socket:
        snapshot = await receive(socket)
        view = RunView(snapshot)
        if snapshot["data"]["run"]["status"] not in {"succeeded", "failed", "canceled"}:
            for message in await receive_until_finished(socket, timeout=120):
                view.apply(message)
    assert view.run["status"] == "succeeded", view.steps
    assert not server.healed_lost_publishes(started["id"])
    assert {key: step["status"] for key, step in view.steps.items()} == {
        f"s{i}": "succeeded" for i in range(1, STEPS + 1)
    }
    assert all(step["attempts"] == 1 for step in view.steps.values())
    assert all("dataset" in step["outputs"] for step in view.steps.values())
    # What the live stream built equals what the server now reports, over the socket and REST.
    async with await open_socket(server, f"/ws/runs/{started['id']}/", viewer) as socket:
        final = RunView(await receive(socket))
    assert final.seq == view.seq
    for key in view.steps:
        assert view.step_state(key) == final.step_state(key), key
    status, body = server.http("GET", f"/api/runs/{started['id']}/", token=viewer["token"])
    assert status == 200
    assert {s["key"]: s["status"] for s in body["steps"]} == {
        key: step["status"] for key, step in view.steps.items()
    }
    assert set(STEP_FIELDS) <= set(final.steps["s1"])


async def test_a_real_ten_step_run_is_watched_from_start_to_finish(server: Server) -> None:
    await watch_real_run(server, "local")


async def test_events_from_a_real_celery_worker_reach_the_socket_through_redis(
    celery_server: Server, celery_worker: CeleryWorker
) -> None:
    await watch_real_run(celery_server, "celery")
    # the worker ran the run: its first step inside advance_run, each next one in place after
    # the report of the one before (decision 0041), or in run_step tasks of their own
    # (a task logs that it succeeded after it returns: after the run's end was published)
    async with asyncio.timeout(10):
        while " succeeded in " not in (log := celery_worker.log()):
            await asyncio.sleep(0.05)
    assert "Task designer.runs.advance_run[" in log


async def test_an_unchanged_rerun_reads_the_same_over_the_socket(server: Server) -> None:
    """A rerun finished in its POST (stored inline, decision 0038): its snapshot and its whole
    event log, resumed from any seq, are what a client watching it live would have received."""
    team = server.control("team", members={"editor": "editor", "viewer": "viewer"})
    editor, viewer = team["users"]["editor"], team["users"]["viewer"]
    status, graph = server.http(
        "POST",
        f"/api/workspaces/{team['workspace']}/graphs/",
        {"name": "rerun", "document": chain(4)},
        token=editor["token"],
    )
    assert status == 201, graph
    runs = f"/api/graphs/{graph['id']}/runs/"
    status, first = server.http("POST", runs, {}, token=editor["token"])
    assert status == 201, first
    async with await open_socket(server, f"/ws/runs/{first['id']}/", viewer) as socket:
        if (await receive(socket))["data"]["run"]["status"] != "succeeded":
            await receive_until_finished(socket, timeout=120)
    status, rerun = server.http("POST", runs, {}, token=editor["token"])
    assert status == 201 and rerun["status"] == "succeeded", rerun  # finished in its POST

    path = f"/ws/runs/{rerun['id']}/"
    async with await open_socket(server, path, viewer) as socket:
        snapshot = await receive(socket)
    final = RunView(snapshot)
    assert final.seq == rerun["seq"] and final.run["status"] == "succeeded"
    assert {key: step["status"] for key, step in final.steps.items()} == {
        f"s{i}": "reused" for i in range(1, 5)
    }
    for after in (0, 5):
        async with await open_socket(server, path, viewer, resume_from=after) as socket:
            messages = await receive_until_finished(socket)
        assert [m["seq"] for m in messages] == list(range(after + 1, rerun["seq"] + 1))
    # the whole log from seq 0, applied to the run as it was queued, gives the snapshot's state
    blank = {**snapshot, "seq": 0}
    blank["data"] = {
        **snapshot["data"],
        "steps": [
            {**step, "status": "pending", "reason": "", "outputs": {}}
            for step in snapshot["data"]["steps"]
        ],
    }
    async with await open_socket(server, path, viewer, resume_from=0) as socket:
        replayed = RunView(blank)
        for message in await receive_until_finished(socket):
            replayed.apply(message)
    assert replayed.seq == final.seq and replayed.finished is not None
    for key in final.steps:
        assert replayed.step_state(key) == final.step_state(key), key
