"""The scoring process over real HTTP: two worker processes, deployed bundles, a routing table
with one endpoint and its key, bad input.

Every bad request gets a 4xx naming the problem (never a 5xx, never a traceback); a replaced
bundle is picked up and a removed one answers 503/404 without restarting anything; the figures
reach the process's stats file.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from designer.engine.store import ArtifactStore
from designer.serving.bundles import put
from designer.serving.routes import EndpointRoute, KeyRoute, RouteTable, key_hash, publish
from designer.serving.scorer import Scorer
from designer.serving.stats import latest_records
from tests.support.processes import scoring_process
from tests.unit.serving.harness import train, training_document

ROOT = Path(__file__).resolve().parents[3]
KEY = "dse_test-key-of-workspace-1"
CALL = "/score/endpoints/1/"


def table(versions: dict[int, int], bundles: dict[int, str]) -> RouteTable:
    """Endpoint 1 of workspace 1 with these versions (number → id), the first the default,
    and their bundles (version id → digest)."""
    endpoint = EndpointRoute(1, 1, True, versions, min(versions), None)
    key = {key_hash(KEY): KeyRoute(7, 1, 1, 100_000, KEY[:12])}
    return RouteTable({1: endpoint}, key, bundles)


@dataclass
class Served:
    """A running scoring process and what it serves."""

    port: int
    store: ArtifactStore
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
        sent = {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}
        conn.request(method, path, body, {**sent, **(headers or {})})
        response = conn.getresponse()
        status, raw = response.status, response.read()
        conn.close()
        assert status < 500 or status == 503, raw  # 503: a routed version has no bundle
        return status, json.loads(raw)

    def score(self, payload: Any, version: int = 1) -> tuple[int, Any]:
        path = f"{CALL}versions/{version}/"
        return self.call("POST", path, json.dumps(payload).encode())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    work = tmp_path_factory.mktemp("serving")
    trained = train(training_document("ml.logistic_regression", {}, "breast_cancer"), work / "run")
    scorer = trained.scorer()
    store = ArtifactStore(work / "store")
    publish(store, lambda: table({1: 1}, {1: put(store, scorer)}))
    rows = trained.test_rows().head(20).to_dict(orient="records")
    with scoring_process(work / "scoring", store=store.root, workers=2) as port:
        yield Served(port, store, scorer, rows)


def codes(body: dict[str, Any]) -> dict[str, str]:
    return {i["column"]: i["code"] for i in body["issues"]}


def test_rows_are_scored_by_the_deployed_version(served: Served) -> None:
    status, body = served.score({"rows": served.rows})
    assert status == 200
    assert body == {"version": 1, "rows": served.scorer.score(served.rows)}
    assert list(body["rows"][0]) == ["Scored Labels", "Scored Probabilities"]
    status, bare = served.call("POST", CALL, json.dumps(served.rows[:1]).encode())  # the default
    assert (status, bare["rows"]) == (200, body["rows"][:1])

    # each process writes its figures to a record of its own; together they count every call
    deadline = time.monotonic() + 60
    while True:
        records = [served.store.record(r.key) for r in latest_records(served.store)]
        files = [json.loads(data) for data in records if data is not None]
        minutes = [m for f in files for m in f["minutes"] if m["version"] == 1]
        if sum(m["calls"] for m in minutes) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert sum(m["rows"] for m in minutes) >= len(served.rows) + 1


def test_bad_rows_name_every_column(served: Served) -> None:
    row = served.rows[0]
    missing = {k: v for k, v in row.items() if k != "mean radius"}
    status, body = served.score({"rows": [missing, {**row, "mean area": "big"}]})
    assert status == 422
    assert codes(body) == {"mean radius": "missing", "mean area": "type"}
    assert "'mean radius' is missing in rows 0" in body["detail"]
    status, body = served.call(
        "POST",
        f"{CALL}versions/1/",
        b'{"rows": [%s]}' % json.dumps({**row, "mean area": float("nan")}).encode(),
    )
    assert (status, codes(body)) == (422, {"mean area": "null"})
    status, body = served.score({"rows": [{**row, "worst area": None}]})
    assert (status, codes(body)) == (422, {"worst area": "null"})


def test_bodies_that_are_not_rows(served: Served) -> None:
    assert served.call("POST", CALL, b"")[1]["code"] == "empty_body"
    assert served.call("POST", CALL, b"{rows")[1]["code"] == "invalid_json"
    assert served.call("POST", CALL, b"\xff\xfe")[1]["code"] == "invalid_json"
    assert served.score({"rows": []})[1]["code"] == "no_rows"
    assert served.score({"rows": "all"})[1]["code"] == "invalid_body"
    assert served.score(42)[1]["code"] == "invalid_body"
    assert served.call("POST", CALL, b"[" * 100_000)[0] == 400
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
        b"POST /score/endpoints/1/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer "
        + KEY.encode()
        + b"\r\nContent-Length: %d\r\n\r\n" % (50 * 1024 * 1024)
    )
    answer = raw_request(served.port, head, [b"[" + b" " * 65535])
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    chunked = (
        b"POST /score/endpoints/1/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Authorization: Bearer " + KEY.encode() + b"\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
    answer = raw_request(served.port, chunked, [chunk] * 40)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_routes_versions_and_methods(served: Served) -> None:
    assert served.call("GET", "/score/health")[1]["status"] == "ok"
    assert served.score({"rows": served.rows}, version=99)[0] == 404
    assert served.call("GET", CALL)[0] == 405
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    conn.request("DELETE", "/score/health")
    refused = conn.getresponse()
    assert (refused.status, refused.getheader("Allow")) == (405, "GET, OPTIONS")
    conn.close()
    status, document = served.call("GET", "/score/openapi.json")
    assert status == 200 and "/score/endpoints/{endpoint}/" in document["paths"]
    validate(document)  # a valid OpenAPI document (Schemathesis fuzzes the process with it)
    assert served.call("POST", "/score/endpoints/0/", b"[]")[0] == 404
    assert served.call("POST", "/score/endpoints/2/", b"[]")[0] == 404  # not this key's
    assert served.call("GET", "/score/../../etc/passwd")[0] == 404
    status, body = served.call("POST", CALL, b"[]", {"Authorization": "Bearer dse_wrong"})
    assert (status, body["code"]) == (401, "authentication_failed")


def test_a_new_version_is_picked_up_and_a_missing_or_removed_one_is_refused(
    served: Served,
) -> None:
    exact = train(
        training_document("ml.logistic_regression", {}, "breast_cancer"),
        Path(served.store.root).parent / "again",
    ).scorer(onnx=False)
    bundle = put(served.store, served.scorer)
    publish(served.store, lambda: table({1: 1, 2: 2}, {1: bundle, 2: put(served.store, exact)}))
    for _ in range(4):  # whichever worker process takes the call
        assert served.score({"rows": served.rows}, version=2)[1]["rows"] == exact.score(served.rows)
    missing = "0" * 64  # a bundle the store does not hold
    publish(served.store, lambda: table({1: 1, 2: 2}, {1: bundle, 2: missing}))
    for _ in range(4):
        assert served.score({"rows": served.rows}, version=2)[0] == 503
    publish(served.store, lambda: table({1: 1}, {1: bundle}))
    for _ in range(4):
        assert served.score({"rows": served.rows}, version=2)[0] == 404


def test_a_version_published_is_loaded_before_its_first_call(served: Served) -> None:
    """Every scoring process looks for a new routing table between calls too, and loads the
    versions it names then: its bundle removed from the store once they had the time, a version
    never called before is still scored (loaded by its first call, it answered 503)."""
    fresh = train(
        training_document("ml.logistic_regression", {"C": 0.5}, "breast_cancer"),
        Path(served.store.root).parent / "fresh",
    ).scorer(onnx=False)
    bundle, digest = put(served.store, served.scorer), put(served.store, fresh)
    publish(served.store, lambda: table({1: 1, 3: 3}, {1: bundle, 3: digest}))
    time.sleep(4)  # the processes look every second; loading a bundle takes milliseconds
    served.store.delete(digest)
    try:
        for _ in range(4):  # whichever worker process takes the call
            status, body = served.score({"rows": served.rows}, version=3)
            assert status == 200, body
            assert body["rows"] == fresh.score(served.rows)
    finally:
        publish(served.store, lambda: table({1: 1}, {1: bundle}))
