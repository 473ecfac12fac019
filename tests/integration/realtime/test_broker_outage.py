"""The task broker (Redis) restarts or goes away: workers live on, the API answers 503.

A Redis of the test's own (append-only file, as a deployment runs it) behind a Daphne server
and two Celery workers started as `make run-distributed` starts them (gossip and mingle on).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.realtime.harness import CeleryWorker, Database, Server
from tests.support.processes import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.celery]
HEARTBEAT = "2"  # seconds: a step's heartbeat outlives an outage of a few seconds


def _document(seconds: float) -> dict[str, Any]:
    code = (
        f"# {uuid.uuid4().hex}\nimport time\ndef azureml_main(df1, df2=None):\n"
        f"    time.sleep({seconds})\n    return df1\n"
    )
    return {
        "schema_version": 1,
        "parameters": {},
        "nodes": [
            {"id": "s1", "module": "data.sample_dataset@1", "params": {"name": "iris"}},
            {"id": "py", "module": "script.python@1", "params": {"code": code}},
        ],
        "edges": [
            {
                "id": "e1",
                "source": {"node": "s1", "port": "dataset"},
                "target": {"node": "py", "port": "dataset1"},
            }
        ],
        "comments": [],
    }


class Site:
    """The server, its workers and Redis, and a signed-in editor."""

    def __init__(self, database: Database, folder: Path) -> None:
        self.redis = RedisServer(folder)
        env = {"DESIGNER_RUNNER": "celery", "DESIGNER_HEARTBEAT_SECONDS": HEARTBEAT}
        self.server = Server(database, redis_url=self.redis.url, **env)
        self.workers = [
            CeleryWorker(database, self.redis.url, f"outage{n}", quiet=False, **env) for n in (1, 2)
        ]
        team = self.server.control("team", members={"editor": "editor"})
        self.workspace, self.token = team["workspace"], team["users"]["editor"]["token"]

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return self.server.http(method, path, body, token=self.token)

    def graph(self, seconds: float) -> int:
        status, graph = self.call(
            "POST",
            f"/api/workspaces/{self.workspace}/graphs/",
            {"name": f"g{uuid.uuid4().hex[:6]}", "document": _document(seconds)},
        )
        assert status == 201, graph
        return int(graph["id"])

    def start(self, graph: int) -> tuple[int, Any]:
        return self.call("POST", f"/api/graphs/{graph}/runs/", {})

    def wait(self, run: int, until: set[str], timeout: float = 90) -> dict[str, Any]:
        """The run once it is in one of `until`; "running" also waits for its script step."""
        deadline = time.monotonic() + timeout
        while True:
            status, body = self.call("GET", f"/api/runs/{run}/")
            assert status == 200, body
            steps = {step["key"]: step["status"] for step in body["steps"]}
            step_too = "running" not in until or steps.get("py") == "running"
            if body["status"] in until and step_too:
                return body
            logs = [worker.log()[-2000:] for worker in self.workers]
            assert time.monotonic() < deadline, (body["status"], steps, *logs)
            time.sleep(0.2)

    def runs(self) -> int:
        status, body = self.call("GET", f"/api/workspaces/{self.workspace}/runs/")
        assert status == 200, body
        return int(body["count"])

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.server.stop()
        if self.redis.process.poll() is None:
            self.redis.stop()


@pytest.fixture
def site(rt_database: Database, tmp_path: Path) -> Iterator[Site]:
    made = Site(rt_database, tmp_path)
    yield made
    made.close()


def test_workers_survive_a_redis_restart_mid_step(site: Site) -> None:
    graph = site.graph(seconds=6)
    status, run = site.start(graph)
    assert status == 201, run
    site.wait(run["id"], {"running"})
    site.redis.stop()  # both workers lose their connections with a step in flight
    time.sleep(3)
    site.redis.start()
    finished = site.wait(run["id"], {"succeeded", "failed", "canceled"})
    assert finished["status"] == "succeeded", finished
    for worker in site.workers:
        assert worker.process.poll() is None, worker.log()  # still running…
        assert "Unrecoverable error" not in worker.log()
    status, again = site.start(site.graph(seconds=0))  # …and taking new work
    assert status == 201, again
    assert site.wait(again["id"], {"succeeded", "failed"})["status"] == "succeeded"


def test_while_redis_is_down_runs_are_refused_then_work(site: Site) -> None:
    graph = site.graph(seconds=30)
    status, running = site.start(graph)
    assert status == 201, running
    site.wait(running["id"], {"running"})
    before = site.runs()
    site.redis.stop()

    status, refused = site.start(graph)
    assert status == 503 and refused["code"] == "broker_unavailable", refused
    assert "task broker (Redis) is unreachable" in refused["detail"]
    assert site.runs() == before  # nothing saved: no run left queued
    status, refused = site.call("POST", f"/api/runs/{running['id']}/cancel/")
    assert status == 503 and refused["code"] == "broker_unavailable", refused
    assert site.wait(running["id"], {"running"})["status"] == "running"  # unchanged

    site.redis.start()
    status, canceled = site.call("POST", f"/api/runs/{running['id']}/cancel/")  # the first one
    assert status == 200 and canceled["status"] == "canceled", canceled
    status, started = site.start(site.graph(seconds=0))
    assert status == 201, started
    assert site.wait(started["id"], {"succeeded", "failed"})["status"] == "succeeded"
