"""Real-time endpoints attacked through the real server and its scoring process: only a live
endpoint key of the endpoint's workspace that may call that endpoint gets rows scored.

A key of another workspace, a revoked key (refused on the very next call), a key scoped to a
pipeline endpoint, a personal API token, a viewer changing the traffic split, a key over its
rate, and bodies too large to read all get their 4xx, never a score or a 5xx. A version's ONNX
download follows the endpoint reads' rules: 404 to another workspace's user, open to a viewer.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.server import PASSWORD, ROOT, LiveServer
from tests.integration.endpoints.conftest import scoring_document
from tests.integration.endpoints.test_live_server import Session, bearer
from tests.support.realtime_endpoints import Caller, Deployed, deploy


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    server = LiveServer(scoring=True).start()
    try:
        yield deploy(server)
    finally:
        server.stop()


def score_with(deployed: Deployed, key: str) -> tuple[int, dict]:
    caller = Caller(deployed.endpoint["invoke_url"], key)
    try:
        return caller.score({"rows": deployed.endpoint["versions"][0]["scoring"]["examples"]})
    finally:
        caller.close()


def test_the_endpoint_key_scores(deployed: Deployed) -> None:
    assert score_with(deployed, deployed.key)[0] == 200


def test_a_key_of_another_workspace_is_refused(deployed: Deployed) -> None:
    session = deployed.session
    other = session.call("POST", "/api/workspaces/", {"name": "Other"}, 201)
    created = session.call(
        "POST", f"/api/workspaces/{other['id']}/endpoint-keys/", {"name": "theirs"}, 201
    )
    status, body = score_with(deployed, created["key"])
    # the scoring service knows only keys that can call some real-time endpoint
    assert (status, body["code"]) == (401, "authentication_failed")


def test_a_revoked_key_is_refused_on_the_next_call(deployed: Deployed) -> None:
    workspace = deployed.server.workspace
    created = deployed.session.call(
        "POST",
        f"/api/workspaces/{workspace}/endpoint-keys/",
        {"name": "leaked", "endpoint": deployed.id},
        201,
    )
    assert score_with(deployed, created["key"])[0] == 200
    deployed.session.call("DELETE", f"/api/endpoint-keys/{created['id']}/", code=204)
    status, body = score_with(deployed, created["key"])
    assert (status, body["code"]) == (401, "authentication_failed")


def test_a_key_for_a_pipeline_endpoint_cannot_score(deployed: Deployed) -> None:
    session, workspace = deployed.session, deployed.server.workspace
    graph = session.call(
        "POST",
        f"/api/workspaces/{workspace}/graphs/",
        {"name": "batch", "document": scoring_document()},
        201,
    )
    batch = session.call(
        "POST",
        f"/api/workspaces/{workspace}/endpoints/",
        {"name": "batch", "graph": graph["id"]},
        201,
    )
    batch_key = deployed.new_key(batch["id"])
    status, body = score_with(deployed, batch_key)
    # a key that can call no real-time endpoint is unknown to the scoring service
    assert (status, body["code"]) == (401, "authentication_failed")
    # while a workspace-wide key of the same workspace scores
    everything = deployed.new_key(None)
    assert score_with(deployed, everything)[0] == 200
    # nor can the real-time endpoint be called through the pipeline route
    answer = session.http.post(
        f"{session.url}/api/endpoints/{deployed.id}/invoke/",
        json={},
        headers={"Authorization": f"Bearer {deployed.key}"},
    )
    assert answer.status_code == 409 and answer.json()["code"] == "realtime_endpoint"
    # and a pipeline version has no ONNX model to download
    onnx = session.call("GET", f"/api/endpoints/{batch['id']}/versions/1/model.onnx", code=409)
    assert onnx["code"] == "not_realtime"


def test_a_personal_api_token_is_not_an_endpoint_key(deployed: Deployed) -> None:
    token = deployed.session.call("POST", "/api/tokens/", {"name": "mine"}, 201)["token"]
    status, body = score_with(deployed, token)
    assert (status, body["code"]) == (401, "authentication_failed")


def test_a_viewer_cannot_change_the_traffic(deployed: Deployed) -> None:
    carol = Session(deployed.server, "carol")
    carol.call("PATCH", f"/api/endpoints/{deployed.id}/", {"split": None}, code=403)
    carol.call("POST", f"/api/endpoints/{deployed.id}/versions/", {}, code=403)


def test_a_key_over_its_rate_waits(deployed: Deployed) -> None:
    slow = deployed.new_key(deployed.id, rate=2)
    assert [score_with(deployed, slow)[0] for _ in range(2)] == [200, 200]
    status, body = score_with(deployed, slow)
    assert (status, body["code"]) == (429, "throttled")


def test_bodies_too_large_are_refused_before_they_are_read(deployed: Deployed) -> None:
    url = urlsplit(deployed.endpoint["invoke_url"])
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {deployed.key}\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(head + b"[" + b" " * 65535)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    row = deployed.endpoint["versions"][0]["scoring"]["examples"][0]
    caller = Caller(deployed.endpoint["invoke_url"], deployed.key)
    try:
        status, body = caller.score({"rows": [row] * 1001})
        assert (status, body["code"]) == (413, "too_many_rows")
    finally:
        caller.close()


OUTSIDER = """
import django
django.setup()
from django.contrib.auth import get_user_model
from designer.workspaces.services import create_workspace
create_workspace(get_user_model().objects.create_user("mallory", "m@example.com", "%s"), "Mine")
"""


def test_the_onnx_download_is_a_read_of_the_endpoint(deployed: Deployed) -> None:
    server = deployed.server
    subprocess.run(
        [sys.executable, "-c", OUTSIDER % PASSWORD], cwd=ROOT, env=server.env(), check=True
    )
    version = f"/api/endpoints/{deployed.id}/versions/1/"
    mallory, carol = Session(server, "mallory"), Session(server, "carol")
    for path in ("model.onnx", "model.onnx.json"):
        outsider = mallory.http.get(server.url + version + path)
        assert (outsider.status_code, outsider.json()["code"]) == (404, "not_found")
        assert carol.http.get(server.url + version + path).status_code == 200
        missing = carol.http.get(f"{server.url}/api/endpoints/{deployed.id}/versions/9/{path}")
        assert missing.status_code == 404
        key = requests.get(server.url + version + path, headers=bearer(deployed.key))
        assert key.status_code == 401, key.text  # an endpoint key scores; it reads nothing
