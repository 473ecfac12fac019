"""A published endpoint against the real server (Daphne, embedded runner), over HTTP and WebSocket.

Publish → key → call → follow the run on the WebSocket URL with the key → download the
outputs, equal to those of the same version run from the canvas; the key cannot watch other
runs or use any non-call route; a key for endpoint A is refused on B; a revoked key is refused.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from designer.realtime.protocol import SUBPROTOCOL
from tests.e2e.server import PASSWORD, LiveServer
from tests.integration.endpoints.conftest import scoring_document


class Session:
    """A user (alice unless told) signed in with a session (CSRF token sent on writes)."""

    def __init__(self, server: LiveServer, username: str = "alice"):
        self.url = server.url
        self.http = requests.Session()
        self.http.get(f"{self.url}/accounts/login/")
        login = self.http.post(
            f"{self.url}/accounts/login/",
            {
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.http.cookies["csrftoken"],
            },
            headers={"Referer": f"{self.url}/accounts/login/"},
            allow_redirects=False,
        )
        assert login.status_code == 302, login.text

    def call(self, method: str, path: str, body: Any = None, code: int = 200) -> Any:
        response = self.http.request(
            method,
            self.url + path,
            json=body,
            headers={"X-CSRFToken": self.http.cookies["csrftoken"]},
        )
        assert response.status_code == code, response.text
        return response.json() if response.content else None


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def open_socket(url: str, key: str) -> Any:
    """A run socket signed in with an endpoint key (Origin: the server, as browsers send)."""
    origin = url.replace("ws://", "http://").split("/ws/")[0]
    return connect(url, additional_headers=bearer(key), subprotocols=[SUBPROTOCOL], origin=origin)


def follow(url: str, key: str) -> list[dict[str, Any]]:
    """Messages of a run socket opened with the key, until the run is finished."""
    messages = []
    with open_socket(url, key) as socket:
        while True:
            message = json.loads(socket.recv(timeout=60))
            messages.append(message)
            if message["type"] == "run.finished" or (
                message["type"] == "run.snapshot"
                and message["data"]["run"]["status"] in ("succeeded", "failed", "canceled")
            ):
                return messages


def refused(url: str, key: str) -> str:
    """The error code a socket opened with the key is closed with."""
    with open_socket(url, key) as socket:
        message = json.loads(socket.recv(timeout=10))
        with pytest.raises(ConnectionClosed):
            socket.recv(timeout=10)
    assert message["type"] == "error", message
    return str(message["data"]["code"])


def test_publish_call_follow_download_and_key_scope(live_designer: LiveServer) -> None:
    alice = Session(live_designer)
    ws = live_designer.workspace
    graph = alice.call(
        "POST",
        f"/api/workspaces/{ws}/graphs/",
        {"name": "live", "document": scoring_document()},
        201,
    )["id"]
    scores = alice.call(
        "POST", f"/api/workspaces/{ws}/endpoints/", {"name": "live", "graph": graph}, 201
    )
    other = alice.call(
        "POST", f"/api/workspaces/{ws}/endpoints/", {"name": "live-b", "graph": graph}, 201
    )
    key = alice.call(
        "POST",
        f"/api/workspaces/{ws}/endpoint-keys/",
        {"name": "ci", "endpoint": scores["id"]},
        201,
    )

    body = {"parameters": {"where": "a > 0"}}
    answer = requests.post(scores["invoke_url"], json=body, headers=bearer(key["key"]), timeout=30)
    assert answer.status_code == 202, answer.text
    call = answer.json()
    last = follow(call["websocket_url"], key["key"])[-1]
    final = (
        last["data"]["status"] if last["type"] == "run.finished" else last["data"]["run"]["status"]
    )
    assert (last["run_id"], final) == (call["run"], "succeeded")
    status = requests.get(call["status_url"], headers=bearer(key["key"]), timeout=30).json()
    assert status["status"] == "succeeded"
    output = status["outputs"][0]
    got = requests.get(output["urls"]["parquet"], headers=bearer(key["key"]), timeout=30)
    assert got.headers["Content-Type"] == "application/vnd.apache.parquet"

    canvas = alice.call("POST", f"/api/graphs/{graph}/runs/", {"version": 1, **body}, 201)
    canvas_bytes = alice.http.get(
        f"{live_designer.url}/api/runs/{canvas['id']}/steps/output/outputs/dataset/download/"
    ).content
    assert got.content == canvas_bytes
    csv = requests.get(output["urls"]["csv"], headers=bearer(key["key"]), timeout=30)
    pd.testing.assert_frame_equal(
        pd.read_csv(io.StringIO(csv.text)), pd.read_parquet(io.BytesIO(canvas_bytes))
    )

    # the key watches only its own calls' runs, and is refused everywhere else
    ws_base = call["websocket_url"].rsplit("/ws/", 1)[0]
    assert refused(f"{ws_base}/ws/runs/{canvas['id']}/", key["key"]) == "not_found"
    assert refused(f"{ws_base}/ws/workspaces/{ws}/", key["key"]) == "unauthenticated"
    for path in (
        f"/api/graphs/{graph}/",
        f"/api/runs/{call['run']}/",
        f"/api/workspaces/{ws}/datasets/",
        f"/api/endpoints/{scores['id']}/",
        f"/api/endpoints/{scores['id']}/invocations/",
    ):
        response = requests.get(live_designer.url + path, headers=bearer(key["key"]), timeout=30)
        assert response.status_code == 401, path
    on_b = requests.post(other["invoke_url"], json=body, headers=bearer(key["key"]), timeout=30)
    assert on_b.status_code == 404 and on_b.json()["code"] == "not_found"

    alice.call("DELETE", f"/api/endpoint-keys/{key['id']}/", code=204)
    again = requests.post(scores["invoke_url"], json=body, headers=bearer(key["key"]), timeout=30)
    assert again.status_code == 401
    assert refused(call["websocket_url"], key["key"]) == "unauthenticated"
