"""A live server with its scoring process, a training run, its inference graph published as a
real-time endpoint, and a key: what the real-time endpoint tests (integration, security, e2e)
start from, all through the real HTTP API."""

from __future__ import annotations

import http.client
import io
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from tests.e2e.server import LiveServer
from tests.integration.endpoints.test_live_server import Session
from tests.unit.serving.harness import training_document

FINAL = {"succeeded", "failed", "canceled"}


def trained_inference_graph(session: Session, workspace: int) -> tuple[int, int]:
    """(training run id, inference graph id): logistic regression on breast cancer, run to
    the end, and the inference graph derived from the run."""
    graph = session.call(
        "POST",
        f"/api/workspaces/{workspace}/graphs/",
        {
            "name": "cancer",
            "document": training_document("ml.logistic_regression", {}, "breast_cancer"),
        },
        201,
    )
    run = session.call("POST", f"/api/graphs/{graph['id']}/runs/", {}, 201)
    deadline = time.monotonic() + 180
    while run["status"] not in FINAL:
        assert time.monotonic() < deadline, run
        time.sleep(0.2)
        run = session.call("GET", f"/api/runs/{run['id']}/")
    assert run["status"] == "succeeded", run
    inference = session.call("POST", f"/api/runs/{run['id']}/inference-graph/", {}, 201)
    return int(run["id"]), int(inference["id"])


def step_table(session: Session, run: int, step: str, port: str) -> pd.DataFrame:
    """A run step's output table (downloaded as Parquet)."""
    response = session.http.get(
        f"{session.url}/api/runs/{run}/steps/{step}/outputs/{port}/download/"
    )
    assert response.status_code == 200, response.text
    return pd.read_parquet(io.BytesIO(response.content))


@dataclass
class Deployed:
    """A real-time endpoint of alice's workspace on a live server, and a key for it."""

    server: LiveServer
    session: Session
    run: int
    graph: int
    endpoint: dict[str, Any]
    key: str

    @property
    def id(self) -> int:
        return int(self.endpoint["id"])

    def new_key(self, endpoint: int | None, rate: int = 100_000) -> str:
        body = {"name": "key", "endpoint": endpoint, "rate_per_minute": rate}
        created = self.session.call(
            "POST", f"/api/workspaces/{self.server.workspace}/endpoint-keys/", body, 201
        )
        return str(created["key"])

    def test_rows(self) -> tuple[list[dict[str, Any]], pd.DataFrame]:
        """The run's test rows as a call sends them, and the run's own scores for them."""
        rows = step_table(self.session, self.run, "split", "test").drop(columns=["target"])
        scored = step_table(self.session, self.run, "score", "dataset")
        return rows.to_dict(orient="records"), scored


def deploy(server: LiveServer, name: str = "cancer") -> Deployed:
    """Sign in as alice, train, derive, publish as a real-time endpoint, make a key."""
    session = Session(server)
    run, graph = trained_inference_graph(session, server.workspace)
    endpoint = session.call(
        "POST",
        f"/api/workspaces/{server.workspace}/endpoints/",
        {"name": name, "graph": graph, "kind": "realtime"},
        201,
    )
    deployed = Deployed(server, session, run, graph, endpoint, "")
    deployed.key = deployed.new_key(deployed.id)
    return deployed


class Caller:
    """A keep-alive HTTP client of the scoring process."""

    def __init__(self, url: str, key: str):
        parts = urlsplit(url)
        self.path = parts.path
        self.conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

    def send(self, body: bytes, path: str | None = None) -> tuple[int, Any]:
        """POST raw bytes; (status, decoded JSON answer)."""
        self.conn.request("POST", path or self.path, body, self.headers)
        response = self.conn.getresponse()
        return response.status, json.loads(response.read())

    def score(self, payload: Any, path: str | None = None) -> tuple[int, Any]:
        return self.send(json.dumps(payload).encode(), path)

    def close(self) -> None:
        self.conn.close()
