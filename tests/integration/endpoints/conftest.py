"""Fixtures for the endpoint tests: a team, a published scoring graph, keys, and call helpers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from designer.runs import coordinator
from designer.runs.models import Run
from tests.integration.api.conftest import Team, make_team
from tests.integration.api.database import use_file_sqlite

FINAL = {"succeeded", "failed", "canceled"}


def pytest_configure(config: pytest.Config) -> None:
    """Use a file-backed SQLite test database (runs write from other threads and processes)."""
    use_file_sqlite()


def scoring_document(csv: str = "a,b\n1,x\n-2,y\n3,z\n") -> dict[str, Any]:
    """Rows in → keep the rows matching `$where` → published as `kept`.

    The Web service input (`rows`) has sample rows wired in, so a call may leave it out;
    `where` has no default (a call must give it); `limit` is an int with a default.
    """
    nodes = [
        ("sample", "data.enter_data@1", {"csv": csv}, None),
        ("input", "output.web_service_input@1", {}, "Rows"),
        ("filter", "transform.filter_rows@1", {"expression": "$where"}, None),
        ("output", "output.web_service_output@1", {}, "Kept"),
    ]
    wires = [("sample", "input"), ("input", "filter"), ("filter", "output")]
    return {
        "schema_version": 1,
        "parameters": {
            "where": {"type": "string", "description": "Which rows to keep."},
            "limit": {"type": "int", "default": 10},
        },
        "nodes": [
            {"id": i, "module": m, "params": p, "position": {"x": 0, "y": 100 * n}}
            | ({"label": label} if label else {})
            for n, (i, m, p, label) in enumerate(nodes)
        ],
        "edges": [
            {
                "id": f"e{n}",
                "source": {"node": s, "port": "dataset"},
                "target": {"node": t, "port": "dataset"},
            }
            for n, (s, t) in enumerate(wires)
        ],
        "comments": [],
    }


@dataclass
class Published:
    """A team with a graph published as endpoint `scores`, and a key for it."""

    team: Team
    graph: int
    endpoint: dict[str, Any]
    key: str

    @property
    def id(self) -> int:
        return int(self.endpoint["id"])


def key_client(raw: str) -> APIClient:
    """An API client that authenticates with an endpoint key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def create_graph(client: APIClient, workspace: int, document: dict[str, Any]) -> int:
    response = client.post(
        f"/api/workspaces/{workspace}/graphs/", {"name": "scoring", "document": document}, "json"
    )
    assert response.status_code == 201, response.json()
    return int(response.json()["id"])


def publish(
    client: APIClient, workspace: int, graph: int, name: str = "scores", **extra: Any
) -> dict[str, Any]:
    response = client.post(
        f"/api/workspaces/{workspace}/endpoints/", {"name": name, "graph": graph, **extra}, "json"
    )
    assert response.status_code == 201, response.json()
    return dict(response.json())


def new_key(client: APIClient, workspace: int, endpoint: int | None, **extra: Any) -> str:
    body = {"name": "ci", "endpoint": endpoint, **extra}
    response = client.post(f"/api/workspaces/{workspace}/endpoint-keys/", body, "json")
    assert response.status_code == 201, response.json()
    return str(response.json()["key"])


def call_naming(caller: APIClient, endpoint: int, dataset: str, version: str | None = None) -> Any:
    """Call the scoring endpoint (input `rows`, parameter `where`) naming a registered dataset
    (and a version: a digest or its prefix) as its input; the answer."""
    rows = {"dataset": dataset, **({"version": version} if version else {})}
    body = {"parameters": {"where": "a > 0"}, "inputs": {"rows": rows}}
    return caller.post(f"/api/endpoints/{endpoint}/invoke/", body, "json")


def assert_refused_as_missing(
    caller: APIClient, endpoint: int, name: str, digest: str, secret: str
) -> None:
    """Naming dataset `name` (latest, by `digest`, by its prefix) gets what a made-up name gets,
    and no answer holds `secret` (a value of its rows)."""
    missing = call_naming(caller, endpoint, "no-such-dataset").json()
    for version in (None, digest, digest[:8]):
        refused = call_naming(caller, endpoint, name, version)
        assert refused.status_code == 400, refused.json()
        issue = refused.json()["issues"][0]
        assert (issue["field"], issue["code"]) == ("inputs.rows.dataset", "not_found")
        assert secret not in json.dumps(refused.json())
        assert issue["message"].replace(name, "N") == missing["issues"][0]["message"].replace(
            "no-such-dataset", "N"
        )


def wait_call(client: APIClient, call: int, timeout: float = 90) -> dict[str, Any]:
    """Poll a call's status URL until its run is final."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/invocations/{call}/").json()
        if body["status"] in FINAL:
            return dict(body)
        time.sleep(0.05)
    raise AssertionError(f"call {call} did not finish: {body}")


def settle_runs(workspace: int, timeout: float = 60) -> None:
    """Wait until the workspace's runs have ended and their threads are gone: a run still writing
    when the test's database is flushed deadlocks the flush on PostgreSQL."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = list(Run.objects.filter(workspace_id=workspace).values_list("pk", "status"))
        if all(s in FINAL and not coordinator.get().active(pk) for pk, s in live):
            return
        time.sleep(0.05)


@pytest.fixture
def published(transactional_db: None) -> Iterator[Published]:
    team = make_team()
    editor = team.client("editor")
    graph = create_graph(editor, team.workspace.pk, scoring_document())
    endpoint = publish(editor, team.workspace.pk, graph)
    yield Published(team, graph, endpoint, new_key(editor, team.workspace.pk, endpoint["id"]))
    settle_runs(team.workspace.pk)
