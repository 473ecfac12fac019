"""Two Daphne processes behind one address (make run-distributed) and a Celery worker, each as
if on a host of its own: they share only the database, Redis and an S3-compatible bucket (each
its own data folder and store cache). A browser on either server sees everything: sockets on
both get every event of a run started through one, the workspace streams of both announce it,
and both serve its outputs, which neither server wrote."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse, urlunparse

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
from tests.support.objectstore import BUCKET, object_store_env

pytestmark = [pytest.mark.redis, pytest.mark.celery]


@pytest.fixture(scope="module")
def hosts(rt_database: Database, redis_url: str) -> Iterator[tuple[Server, Server]]:
    """Two servers and a worker on "three hosts" sharing the database, Redis and a bucket."""
    endpoint = os.environ.get("TEST_S3_ENDPOINT", "")
    if not endpoint:
        pytest.skip("TEST_S3_ENDPOINT is not set: these hosts share the server make test starts")
    store = f"s3://{BUCKET}/{uuid.uuid4().hex}"
    redis_url = urlunparse(urlparse(redis_url)._replace(path="/8"))  # no other worker's queue

    def host(name: str) -> dict[str, str]:
        folder = rt_database.workdir / name
        return {
            **rt_database.host_env(folder),
            **object_store_env(endpoint, folder / "store-cache"),
            "DESIGNER_ARTIFACT_STORE": store,
            "DESIGNER_RUNNER": "celery",
        }

    servers = (
        Server(rt_database, redis_url=redis_url, **host("web1")),
        Server(rt_database, redis_url=redis_url, **host("web2")),
    )
    worker = CeleryWorker(rt_database, redis_url, "far", **host("worker"))
    yield servers
    worker.stop()
    for server in servers:
        server.stop()


async def test_either_server_sees_every_event_and_output(hosts: tuple[Server, Server]) -> None:
    first_server, second_server = hosts
    team = first_server.control("team", members={"editor": "editor", "viewer": "viewer"})
    editor, viewer = team["users"]["editor"], team["users"]["viewer"]
    workspace = f"/ws/workspaces/{team['workspace']}/"
    lists = [await open_socket(s, workspace, viewer) for s in hosts]
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
    for server in hosts:  # from the first event on, on both
        async with await open_socket(server, path, viewer, resume_from=0) as socket:
            streams.append(await receive_until_finished(socket, timeout=120))
    first, second = ([(m["type"], m["seq"], m["data"]) for m in s] for s in streams)
    assert [seq for _, seq, _ in first] == list(range(1, first[-1][1] + 1))  # no gap
    assert first == second and first[-1][2]["status"] == "succeeded"

    announced = await asyncio.gather(*(receive_until_finished(s, timeout=120) for s in lists))
    for messages in announced:
        statuses = [m["data"] for m in messages if m["type"] == "run.status"]
        assert statuses[-1] == {"status": "succeeded"}
        assert all(m["run_id"] == run["id"] for m in messages)
    for socket in lists:
        await socket.close()

    preview = f"/api/runs/{run['id']}/steps/s4/outputs/dataset/preview/?limit=3"
    answers = [server.http("GET", preview, token=viewer["token"]) for server in hosts]
    assert answers[0] == answers[1] and answers[0][0] == 200, answers[0]
    assert answers[0][1]["table"]["total_rows"] == 150  # iris, read back from the bucket
