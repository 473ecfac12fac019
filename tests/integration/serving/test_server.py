"""The scoring process over real HTTP: two worker processes, deployed bundles, bad input.

Every bad request gets a 4xx naming the problem (never a 5xx, never a traceback); a replaced
bundle is picked up and a removed one answers 404 without restarting anything.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from designer.serving.bundles import deploy, undeploy
from designer.serving.scorer import Scorer
from tests.support.processes import free_port
from tests.unit.serving.harness import train, training_document

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Served:
    """A running scoring process and what it serves."""

    port: int
    bundles: Path
    scorer: Scorer
    rows: list[dict[str, Any]]

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body, {"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        status, raw = response.status, response.read()
        conn.close()
        assert status < 500, raw
        return status, json.loads(raw)

    def score(self, payload: Any, version: int = 1) -> tuple[int, Any]:
        return self.call("POST", f"/v1/versions/{version}/score", json.dumps(payload).encode())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    work = tmp_path_factory.mktemp("serving")
    trained = train(training_document("ml.logistic_regression", {}, "breast_cancer"), work / "run")
    scorer = trained.scorer()
    deploy(work / "bundles", 1, scorer)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "designer.serving",
            "serve",
            "--bundles",
            str(work / "bundles"),
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
    rows = trained.test_rows().head(20).to_dict(orient="records")
    try:
        yield Served(port, work / "bundles", scorer, rows)
    finally:
        os.killpg(process.pid, 15)
        process.wait(20)
        assert b"Traceback" not in (process.stderr.read() if process.stderr else b"")


def codes(body: dict[str, Any]) -> dict[str, str]:
    return {i["column"]: i["code"] for i in body["issues"]}


def test_rows_are_scored_by_the_deployed_version(served: Served) -> None:
    status, body = served.score({"rows": served.rows})
    assert status == 200
    assert body == {"rows": served.scorer.score(served.rows)}
    assert list(body["rows"][0]) == ["Scored Labels", "Scored Probabilities"]
    status, bare = served.score(served.rows[:1])  # a bare list of rows works too
    assert (status, bare["rows"]) == (200, body["rows"][:1])

    # stats are per process: a keep-alive connection stays with one
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    body_bytes = json.dumps({"rows": served.rows[:2]}).encode()
    for _ in range(3):
        conn.request("POST", "/v1/versions/1/score", body_bytes)
        assert conn.getresponse().read()
    conn.request("GET", "/v1/versions/1")
    info = json.loads(conn.getresponse().read())
    conn.close()
    assert info["runtime"] == "onnx" and info["stats"]["calls"] >= 3
    assert info["stats"]["rows"] >= 6 and info["stats"]["latency_ms"]["p99"] > 0


def test_bad_rows_name_every_column(served: Served) -> None:
    row = served.rows[0]
    missing = {k: v for k, v in row.items() if k != "mean radius"}
    status, body = served.score({"rows": [missing, {**row, "mean area": "big"}]})
    assert status == 422
    assert codes(body) == {"mean radius": "missing", "mean area": "type"}
    assert "'mean radius' is missing in rows 0" in body["detail"]
    status, body = served.call(
        "POST",
        "/v1/versions/1/score",
        b'{"rows": [%s]}' % json.dumps({**row, "mean area": float("nan")}).encode(),
    )
    assert (status, codes(body)) == (422, {"mean area": "null"})
    status, body = served.score({"rows": [{**row, "worst area": None}]})
    assert (status, codes(body)) == (422, {"worst area": "null"})


def test_bodies_that_are_not_rows(served: Served) -> None:
    assert served.call("POST", "/v1/versions/1/score", b"")[1]["code"] == "empty_body"
    assert served.call("POST", "/v1/versions/1/score", b"{rows")[1]["code"] == "invalid_json"
    assert served.call("POST", "/v1/versions/1/score", b"\xff\xfe")[1]["code"] == "invalid_json"
    assert served.score({"rows": []})[1]["code"] == "no_rows"
    assert served.score({"rows": "all"})[1]["code"] == "invalid_body"
    assert served.score(42)[1]["code"] == "invalid_body"
    assert served.call("POST", "/v1/versions/1/score", b"[" * 100_000)[0] == 400
    status, body = served.score({"rows": [served.rows[0]] * 1001})
    assert (status, body["code"]) == (413, "too_many_rows")
    status, body = served.score({"rows": [served.rows[0]] * 10_000})
    assert (status, body["code"]) == (413, "body_too_large")


def raw_request(port: int, head: bytes, body_parts: list[bytes]) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for part in body_parts:
                sock.sendall(part)
        except OSError:
            pass  # the server answered and closed before taking it all
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_50_mb_body_is_refused_before_it_is_read(served: Served) -> None:
    head = (
        b"POST /v1/versions/1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % (50 * 1024 * 1024)
    )
    answer = raw_request(served.port, head, [b"[" + b" " * 65535])
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    chunked = b"POST /v1/versions/1/score HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    answer = raw_request(served.port, chunked, [chunk] * 40)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_routes_versions_and_methods(served: Served) -> None:
    assert served.call("GET", "/v1/health")[1]["status"] == "ok"
    assert served.score({"rows": served.rows}, version=99)[0] == 404
    assert served.call("GET", "/v1/versions/1/score")[0] == 405
    assert served.call("POST", "/v1/versions/0/score", b"[]")[0] == 404
    assert served.call("GET", "/v1/versions/../../etc/passwd")[0] == 404


def test_a_replaced_bundle_is_picked_up_and_a_removed_one_is_gone(served: Served) -> None:
    exact = train(
        training_document("ml.logistic_regression", {}, "breast_cancer"),
        served.bundles.parent / "again",
    ).scorer(onnx=False)
    deploy(served.bundles, 2, exact)
    for _ in range(4):  # whichever worker process takes the call
        status, info = served.call("GET", "/v1/versions/2")
        assert (status, info["runtime"]) == (200, "sklearn")
    assert served.score({"rows": served.rows}, version=2)[1]["rows"] == exact.score(served.rows)
    undeploy(served.bundles, 2)
    for _ in range(4):
        assert served.score({"rows": served.rows}, version=2)[0] == 404
