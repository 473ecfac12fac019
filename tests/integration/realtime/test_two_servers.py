"""Two Daphne processes behind one address (make run-distributed) and a Celery worker, each as
if on a host of its own: they share only the database, Redis and an S3-compatible bucket (each
its own data folder and store cache). A browser on either server sees everything: sockets on
both get every event of a run started through one, the workspace streams of both announce it,
and both serve its outputs, logs and datasets, which neither server wrote."""

from __future__ import annotations

import asyncio
import http.client
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
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
from tests.integration.realtime.test_request_bodies import post_file
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


def _script(lines: int) -> str:
    return (
        f"# {uuid.uuid4().hex}\ndef azureml_main(df1, df2=None):\n"
        f"    for i in range({lines}):\n        print(f'cleaning row {{i}}')\n"
        "    return df1[df1['value'] > 1]\n"
    )


def _get(server: Server, path: str, token: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    return response.status, response.read()


async def _follow(server: Server, run: int, user: dict[str, Any]) -> list[dict[str, Any]]:
    async with await open_socket(server, f"/ws/runs/{run}/", user) as socket:
        return await receive_until_finished(socket, timeout=150)


def test_logs_and_datasets_need_no_shared_folder(
    hosts: tuple[Server, Server], tmp_path: Path
) -> None:
    """An upload through one server, a run on the worker that reads it, logs and exports a
    dataset; the other server serves the log, the export, its preview and the datasets page.
    (Not an async test: those get 90 s, and a loaded machine needs more for the whole run.)"""
    first_server, second_server = hosts
    team = first_server.control("team", members={"editor": "editor"})
    editor, workspace = team["users"]["editor"], team["workspace"]
    csv = tmp_path / "prices.csv"
    csv.write_text("id,value\n" + "".join(f"{i},{i * 0.5}\n" for i in range(20)))
    status, body = post_file(
        first_server, editor["token"], f"/api/workspaces/{workspace}/datasets/", csv, "prices"
    )
    assert status == 201, body

    nodes = [
        {"id": "prices", "module": "data.registered_dataset@1", "params": {"name": "prices"}},
        {"id": "clean", "module": "script.python@1", "params": {"code": _script(300)}},
        {"id": "export", "module": "output.export_data@1", "params": {"name": "cleaned"}},
    ]
    edges = [
        {
            "id": f"e{i}",
            "source": {"node": source, "port": port},
            "target": {"node": target, "port": inport},
        }
        for i, (source, port, target, inport) in enumerate(
            [("prices", "dataset", "clean", "dataset1"), ("clean", "result1", "export", "dataset")]
        )
    ]
    document = {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": edges}
    status, graph = first_server.http(
        "POST",
        f"/api/workspaces/{workspace}/graphs/",
        {"name": "no shared folder", "document": {**document, "comments": []}},
        token=editor["token"],
    )
    assert status == 201, graph
    status, run = first_server.http(
        "POST", f"/api/graphs/{graph['id']}/runs/", {}, token=editor["token"]
    )
    assert status == 201, run
    messages = asyncio.run(_follow(second_server, run["id"], editor))
    assert messages[-1]["data"]["status"] == "succeeded", messages[-1]
    streamed = [
        (m["data"]["stream"], line)
        for m in messages
        if m["type"] == "step.log" and m["data"]["step"] == "clean"
        for line in m["data"]["lines"]
    ]
    printed = [("log", f"cleaning row {i}") for i in range(300)]
    assert streamed[:300] == printed  # live, over the socket

    token = editor["token"]
    status, page = second_server.http("GET", f"/api/runs/{run['id']}/steps/clean/log/", token=token)
    assert status == 200 and page["total"] == len(streamed), page
    assert [(line["stream"], line["text"]) for line in page["lines"]] == streamed
    status, text = _get(second_server, f"/api/runs/{run['id']}/steps/clean/log/?download=1", token)
    assert status == 200 and text.decode().splitlines()[:300] == [line for _, line in printed]

    status, listed = second_server.http(
        "GET", f"/api/workspaces/{workspace}/datasets/", token=token
    )
    assert status == 200, listed
    datasets = {d["name"]: d for d in listed["results"]}
    assert set(datasets) == {"prices", "cleaned"}, datasets
    status, versions = second_server.http(
        "GET", f"/api/datasets/{datasets['cleaned']['id']}/versions/", token=token
    )
    assert status == 200 and len(versions["results"]) == 1, versions
    version = versions["results"][0]
    assert version["rows"] == 17 and version["written_by"]["step"] == "export", version
    status, preview = second_server.http(
        "GET",
        f"/api/datasets/{datasets['cleaned']['id']}/versions/{version['digest']}/preview/",
        token=token,
    )
    assert status == 200 and preview["total_rows"] == 17, preview
    status, parquet = _get(
        second_server, f"/api/runs/{run['id']}/steps/export/outputs/dataset/download/", token
    )
    assert status == 200 and parquet.startswith(b"PAR1")

    for host in ("web1", "web2", "worker"):  # nothing of it in any host's own data folder
        data = first_server.database.workdir / host
        assert not (data / "datasets").exists() and not (data / "artifacts" / "logs").exists()
