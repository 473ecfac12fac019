"""Two Daphne processes behind one address (make run-distributed) and a Celery worker, each as
if on a host of its own: they share only the database, Redis and an S3-compatible bucket (each
its own data folder and store cache). A browser on either server sees everything: sockets on
both get every event of a run started through one, the workspace streams of both announce it,
and both serve its outputs, logs and datasets, which neither server wrote; a real-time endpoint
published through one is scored by a scoring process on a fourth "host"."""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pandas as pd
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
from tests.support.processes import scoring_process
from tests.unit.serving.harness import training_document

pytestmark = [pytest.mark.redis, pytest.mark.celery]


@dataclass(frozen=True)
class Hosts:
    """The two servers, and what a further host needs to share their store and Redis."""

    servers: tuple[Server, Server]
    host: Callable[[str], dict[str, str]]  # a host's environment, by name
    store: str
    redis_url: str
    worker: CeleryWorker

    def logs(self) -> str:
        """The ends of the servers' and the worker's logs (what a failure shows)."""
        parts = [("web1", self.servers[0]), ("web2", self.servers[1]), ("worker", self.worker)]
        return "\n".join(f"--- {name}\n{process.log()[-4000:]}" for name, process in parts)


@pytest.fixture(scope="module")
def deployment(rt_database: Database, redis_url: str) -> Iterator[Hosts]:
    """Two servers and a worker on "three hosts" sharing the database, Redis and a bucket (the
    servers start no scoring process: a test starts one on a host of its own)."""
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
            "DESIGNER_SCORING_PROCESS": "external",
        }

    servers = (
        Server(rt_database, redis_url=redis_url, **host("web1")),
        Server(rt_database, redis_url=redis_url, **host("web2")),
    )
    worker = CeleryWorker(rt_database, redis_url, "far", **host("worker"))
    yield Hosts(servers, host, store, redis_url, worker)
    worker.stop()
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def hosts(deployment: Hosts) -> tuple[Server, Server]:
    """The two servers."""
    return deployment.servers


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
    deployment: Hosts, hosts: tuple[Server, Server], tmp_path: Path
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
    try:
        messages = asyncio.run(_follow(second_server, run["id"], editor))
    except TimeoutError:
        raise AssertionError(f"run {run['id']} never finished:\n{deployment.logs()}") from None
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


def _finished(server: Server, run: int, token: str) -> dict[str, Any]:
    """The run once it is final (saved)."""
    deadline = time.monotonic() + 240
    while True:
        status, body = server.http("GET", f"/api/runs/{run}/", token=token)
        assert status == 200, body
        if body["status"] in {"succeeded", "failed", "canceled"}:
            return dict(body)
        assert time.monotonic() < deadline, body
        time.sleep(0.5)


def _table(server: Server, run: int, step: str, port: str, token: str) -> pd.DataFrame:
    status, data = _get(server, f"/api/runs/{run}/steps/{step}/outputs/{port}/download/", token)
    assert status == 200, data[:300]
    return pd.read_parquet(io.BytesIO(data))


def _score(port: int, endpoint: int, key: str, rows: list[dict[str, Any]]) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    connection.request("POST", f"/score/endpoints/{endpoint}/", json.dumps({"rows": rows}), headers)
    response = connection.getresponse()
    answer = response.status, json.loads(response.read())
    connection.close()
    return answer


def test_real_time_endpoints_need_no_shared_folder(deployment: Hosts) -> None:
    """A model trained on the worker, published as a real-time endpoint through server 1 and
    disabled through server 2, is scored by a scoring process on a host of its own (its own
    data folder; the bucket and Redis shared), which takes the bundle, the routing table and
    every change from the store; server 2 shows the calls the process counted. Before, the
    process read a deployment folder only the server that published had."""
    first_server, second_server = deployment.servers
    team = first_server.control("team", members={"editor": "editor"})
    token, workspace = team["users"]["editor"]["token"], team["workspace"]
    document = training_document("ml.logistic_regression", {}, "breast_cancer")
    status, graph = first_server.http(
        "POST",
        f"/api/workspaces/{workspace}/graphs/",
        {"name": "cancer", "document": document},
        token=token,
    )
    assert status == 201, graph
    status, run = first_server.http("POST", f"/api/graphs/{graph['id']}/runs/", {}, token=token)
    assert status == 201, run
    assert _finished(first_server, run["id"], token)["status"] == "succeeded"
    status, inference = first_server.http(
        "POST", f"/api/runs/{run['id']}/inference-graph/", {}, token=token
    )
    assert status == 201, inference
    status, endpoint = first_server.http(
        "POST",
        f"/api/workspaces/{workspace}/endpoints/",
        {"name": "cancer", "graph": inference["id"], "kind": "realtime"},
        token=token,
    )
    assert status == 201, endpoint
    body = {"name": "key", "endpoint": endpoint["id"], "rate_per_minute": 100_000}
    status, key = first_server.http(
        "POST", f"/api/workspaces/{workspace}/endpoint-keys/", body, token=token
    )
    assert status == 201, key

    rows = _table(second_server, run["id"], "split", "test", token).drop(columns=["target"])
    expected = _table(second_server, run["id"], "score", "dataset", token)["Scored Labels"]
    env = {**deployment.host("scoring"), "REDIS_URL": deployment.redis_url}
    folder = Path(env["DESIGNER_DATA_DIR"])
    with scoring_process(folder / "scoring", store=deployment.store, env=env) as port:
        status, scored = _score(port, endpoint["id"], key["key"], rows.head(5).to_dict("records"))
        assert status == 200, scored
        assert [row["Scored Labels"] for row in scored["rows"]] == list(expected.head(5))

        status, changed = second_server.http(
            "PATCH", f"/api/endpoints/{endpoint['id']}/", {"enabled": False}, token=token
        )
        assert status == 200, changed
        one = rows.head(1).to_dict("records")
        deadline = time.monotonic() + 30  # a bucket's routing table is looked at every second
        while (answer := _score(port, endpoint["id"], key["key"], one))[0] != 409:
            assert answer[0] == 200 and time.monotonic() < deadline, answer
            time.sleep(0.2)

        deadline = time.monotonic() + 60  # the process writes its figures every 0.2 s here
        while True:
            status, seen = second_server.http(
                "GET", f"/api/endpoints/{endpoint['id']}/monitoring/", token=token
            )
            assert status == 200, seen
            if sum(version["rows"] for version in seen["versions"]) >= 5:
                break
            assert time.monotonic() < deadline, seen
            time.sleep(0.5)
    for host in ("web1", "web2", "worker", "scoring"):  # no bundle, table or figures on a disk
        data = deployment.servers[0].database.workdir / host
        assert not [p for p in data.rglob("*") if p.suffix == ".scorer" or p.name == "routes.json"]
