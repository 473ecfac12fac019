"""Two Daphne processes behind one address (make run-distributed): a browser on either one
sees everything. Runs go to a real Celery worker on Redis; sockets on both servers get every
event of a run started through the other, and the workspace streams of both announce it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.integration.realtime.harness import (
    CeleryWorker,
    Database,
    Server,
    open_socket,
    receive,
    receive_until_finished,
)
from tests.integration.realtime.test_real_runs import chain

pytestmark = [pytest.mark.redis, pytest.mark.celery]


@pytest.fixture(scope="module")
def second_server(rt_database: Database, redis_url: str) -> Iterator[Server]:
    """Another Daphne on the same database and Redis (another host, behind the same proxy)."""
    process = Server(rt_database, redis_url=redis_url, DESIGNER_RUNNER="celery")
    yield process
    process.stop()


async def test_sockets_on_either_server_get_every_event(
    celery_server: Server, second_server: Server, celery_worker: CeleryWorker
) -> None:
    team = celery_server.control("team", members={"editor": "editor", "viewer": "viewer"})
    editor, viewer = team["users"]["editor"], team["users"]["viewer"]
    workspace = f"/ws/workspaces/{team['workspace']}/"
    lists = [await open_socket(s, workspace, viewer) for s in (celery_server, second_server)]
    for socket in lists:
        assert (await receive(socket))["type"] == "workspace.snapshot"

    status, graph = second_server.http(
        "POST",
        f"/api/workspaces/{team['workspace']}/graphs/",
        {"name": "two servers", "document": chain(4)},
        token=editor["token"],
    )
    assert status == 201, graph
    status, run = second_server.http(
        "POST", f"/api/graphs/{graph['id']}/runs/", {"bypass_cache": True}, token=editor["token"]
    )
    assert status == 201 and run["runner"] == "celery", run
    path = f"/ws/runs/{run['id']}/"
    streams = []
    for server in (celery_server, second_server):  # from the first event on, on both
        async with await open_socket(server, path, viewer, resume_from=0) as socket:
            streams.append(await receive_until_finished(socket, timeout=120))
    first, second = ([(m["type"], m["seq"], m["data"]) for m in s] for s in streams)
    assert [seq for _, seq, _ in first] == list(range(1, first[-1][1] + 1))  # no gap
    assert first == second and first[-1][2]["status"] == "succeeded"

    announced = await asyncio.gather(*(receive_until_finished(s, timeout=120) for s in lists))
    for messages in announced:
        assert [m["data"] for m in messages if m["type"] == "run.status"][-1] == {
            "status": "succeeded"
        }
        assert all(m["run_id"] == run["id"] for m in messages)
    for socket in lists:
        await socket.close()
    bodies = [
        s.http("GET", f"/api/runs/{run['id']}/", token=viewer["token"])
        for s in (celery_server, second_server)
    ]
    assert bodies[0] == bodies[1] and bodies[0][1]["status"] == "succeeded"
