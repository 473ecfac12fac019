"""Real-time endpoints end to end: the real server (Daphne) with the scoring process it starts,
everything through HTTP.

Train → derive the inference graph → publish it as a real-time endpoint → call it with a key:
the run's own scores come back; bad rows get a 422 naming each column and row; a traffic split
sends its share to the second version, a rollback or a promotion applies to the very next call,
and no call fails while the default flips under load; the monitoring API counts every call and
compares the inputs with the training rows.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.server import LiveServer
from tests.support.realtime_endpoints import Caller, Deployed, deploy

# calls of the split test; the issue's 10,000 with REALTIME_SPLIT_CALLS=10000
SPLIT_CALLS = int(os.environ.get("REALTIME_SPLIT_CALLS", "2000"))


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    server = LiveServer(scoring=True).start()
    try:
        yield deploy(server)
    finally:
        server.stop()


@pytest.fixture
def caller(deployed: Deployed) -> Iterator[Caller]:
    client = Caller(deployed.endpoint["invoke_url"], deployed.key)
    yield client
    client.close()


def issues(body: dict[str, Any]) -> dict[str, tuple[str, list[int]]]:
    return {i["column"]: (i["code"], i["rows"]) for i in body["issues"]}


def test_a_published_inference_graph_scores_rows_like_its_training_run(
    deployed: Deployed, caller: Caller
) -> None:
    endpoint = deployed.endpoint
    assert endpoint["kind"] == "realtime"
    assert endpoint["invoke_url"] == f"{deployed.server.scoring_url}/score/endpoints/{deployed.id}/"
    scoring = endpoint["versions"][0]["scoring"]
    assert scoring["runtime"] == "onnx", scoring["runtime_reason"]

    rows, expected = deployed.test_rows()
    status, body = caller.score({"rows": rows[:200]})
    assert status == 200, body
    assert body["version"] == 1
    assert [r["Scored Labels"] for r in body["rows"]] == expected["Scored Labels"][:200].tolist()
    tolerance = scoring["tolerance"]
    for got, want in zip(body["rows"], expected["Scored Probabilities"][:200], strict=True):
        assert abs(got["Scored Probabilities"] - want) <= tolerance["absolute"] + tolerance[
            "relative"
        ] * abs(want)
    status, one = caller.score(rows[:1])  # a bare list of rows works too
    assert (status, one["rows"]) == (200, body["rows"][:1])
    pinned = f"/score/endpoints/{deployed.id}/versions/1/"
    assert caller.score({"rows": rows[:1]}, pinned)[1]["rows"] == body["rows"][:1]

    document = deployed.session.call("GET", f"/api/endpoints/{deployed.id}/openapi/")
    assert document["servers"] == [{"url": deployed.server.scoring_url}]
    example = document["paths"][f"/score/endpoints/{deployed.id}/"]["post"]["requestBody"]
    example_rows = example["content"]["application/json"]["example"]["rows"]
    assert caller.score({"rows": example_rows})[0] == 200
    assert deployed.session.call("GET", "/healthz")["scoring"] == "ready"


def test_bad_rows_are_refused_naming_each_column_and_row(
    deployed: Deployed, caller: Caller
) -> None:
    rows, _ = deployed.test_rows()
    good = rows[0]
    missing = {k: v for k, v in good.items() if k != "mean radius"}
    status, body = caller.score({"rows": [good, missing, {**good, "mean area": "big"}]})
    assert status == 422, body
    assert issues(body) == {"mean radius": ("missing", [1]), "mean area": ("type", [2])}
    assert caller.score({"rows": [{**good, "colour": "red"}]})[0] == 200  # ignored by default

    deployed.session.call("PATCH", f"/api/endpoints/{deployed.id}/", {"extra_columns": "refuse"})
    try:
        status, body = caller.score({"rows": [good, {**good, "colour": "red"}]})
        assert (status, issues(body)) == (422, {"colour": ("unknown_column", [1])})
    finally:
        deployed.session.call(
            "PATCH", f"/api/endpoints/{deployed.id}/", {"extra_columns": "ignore"}
        )
    assert caller.send(b"")[1]["code"] == "empty_body"
    assert caller.send(b"{rows")[1]["code"] == "invalid_json"
    status, body = caller.score({"rows": [good] * 10_000})
    assert status == 413 and "1,000 rows per call" in body["detail"], body


def publish_second_version(deployed: Deployed) -> None:
    if len(deployed.session.call("GET", f"/api/endpoints/{deployed.id}/")["versions"]) < 2:
        deployed.session.call(
            "POST",
            f"/api/endpoints/{deployed.id}/versions/",
            {"make_default": False, "message": "canary"},
            201,
        )


def test_a_split_sends_its_share_and_rollback_and_promotion_apply_at_once(
    deployed: Deployed, caller: Caller
) -> None:
    publish_second_version(deployed)
    rows, _ = deployed.test_rows()
    payload = json.dumps({"rows": rows[:1]}).encode()
    url = f"/api/endpoints/{deployed.id}/"
    session = deployed.session
    endpoint = session.call("PATCH", url, {"split": {"version": 2, "percent": 10}})
    assert (endpoint["default_version"], endpoint["split"]) == (1, {"version": 2, "percent": 10})

    calls = SPLIT_CALLS
    seen = Counter(caller.send(payload)[1]["version"] for _ in range(calls))
    assert set(seen) == {1, 2}
    # 6 standard deviations of a binomial(calls, 0.1): fails by chance about once in 10^9 runs
    assert abs(seen[2] - calls * 0.1) <= 6 * math.sqrt(calls * 0.1 * 0.9), seen

    session.call("PATCH", url, {"split": None})  # rollback: the canary gets nothing from now on
    assert {caller.send(payload)[1]["version"] for _ in range(200)} == {1}
    session.call("PATCH", url, {"split": {"version": 2, "percent": 50}})
    promoted = session.call("PATCH", url, {"default_version": 2})  # promotion ends the split
    assert (promoted["default_version"], promoted["split"]) == (2, None)
    assert {caller.send(payload)[1]["version"] for _ in range(200)} == {2}
    session.call("PATCH", url, {"default_version": 1})


def test_no_call_fails_while_the_default_version_flips(deployed: Deployed) -> None:
    publish_second_version(deployed)
    rows, _ = deployed.test_rows()
    payload = json.dumps({"rows": rows[:5]}).encode()
    url = f"/api/endpoints/{deployed.id}/"
    answers: list[tuple[int, int, int]] = []  # (ticket, status, version)
    tickets = itertools.count()  # a call takes its ticket just before it is sent
    lock = threading.Lock()
    stop = threading.Event()

    def client() -> None:
        caller = Caller(deployed.endpoint["invoke_url"], deployed.key)
        try:
            while not stop.is_set():
                with lock:
                    ticket = next(tickets)
                status, body = caller.send(payload)
                with lock:
                    answers.append((ticket, status, body.get("version", 0)))
        finally:
            caller.close()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for flip in range(6):
            deployed.session.call("PATCH", url, {"default_version": 2 if flip % 2 == 0 else 1})
            time.sleep(0.2)
        with lock:
            last_flip = next(tickets)  # every later ticket was sent after the last flip
        deadline = time.monotonic() + 60
        while sum(a[0] > last_flip for a in list(answers)) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert [a for a in answers if a[1] != 200] == []
    assert {a[2] for a in answers} == {1, 2}
    # the last flip made version 1 the default: every call sent after it was answered by it
    assert {a[2] for a in answers if a[0] > last_flip} == {1}


def test_monitoring_counts_every_call_per_version(deployed: Deployed, caller: Caller) -> None:
    rows, _ = deployed.test_rows()
    fresh = deployed.session.call(  # a version nothing else calls
        "POST", f"/api/endpoints/{deployed.id}/versions/", {"make_default": False}, 201
    )
    path = f"/score/endpoints/{deployed.id}/versions/{fresh['number']}/"
    for _ in range(5):
        assert caller.score({"rows": rows[:2]}, path)[0] == 200
    assert caller.score({"rows": [{"mean radius": "x"}]}, path)[0] == 422
    deadline = time.monotonic() + 60
    while True:  # the scoring processes write their figures every half second here
        summary = deployed.session.call("GET", f"/api/endpoints/{deployed.id}/monitoring/")
        now = next(v for v in summary["versions"] if v["number"] == fresh["number"])
        if now["calls"] >= 6 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert (now["calls"], now["errors"], now["rows"]) == (6, 1, 11)  # the refused call sent one row
    assert 0 < now["p50_ms"] <= now["p99_ms"]
    assert sum(p["calls"] for p in now["points"]) == 6
    sent = [row for row in rows[:2]] * 5  # the numeric inputs of the scored calls' rows
    drift = {c["column"]: c for c in now["inputs"]}
    radius = drift.get("mean radius") or next(iter(drift.values()))
    values = [float(r[radius["column"]]) for r in sent]
    assert radius["values"] == 10 and radius["mean"] == pytest.approx(sum(values) / 10)
    assert radius["shift"] == pytest.approx(
        (radius["mean"] - radius["training_mean"]) / radius["training_std"]
    )
    assert len(now["inputs"]) == 10  # the ten columns that moved most
    last = summary["last_errors"][0]
    assert (last["version"], last["code"], last["input"]) == (fresh["number"], "invalid_rows", None)
    assert last["issues"][0]["column"] == "mean radius"


def test_one_row_sent_again_and_again_shows_inputs_without_spread(
    deployed: Deployed, caller: Caller
) -> None:
    """Summing squares leaves rounding where the values never varied: the page showed a
    standard deviation of 2.58e-8 for a value sent ten times."""
    rows, _ = deployed.test_rows()
    fresh = deployed.session.call(
        "POST", f"/api/endpoints/{deployed.id}/versions/", {"make_default": False}, 201
    )
    path = f"/score/endpoints/{deployed.id}/versions/{fresh['number']}/"
    for _ in range(10):
        assert caller.score({"rows": rows[:1]}, path)[0] == 200
    deadline = time.monotonic() + 60
    while True:  # the scoring processes write their figures every half second here
        summary = deployed.session.call("GET", f"/api/endpoints/{deployed.id}/monitoring/")
        now = next(v for v in summary["versions"] if v["number"] == fresh["number"])
        if now["calls"] >= 10 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert now["calls"] == 10 and len(now["inputs"]) == 10
    for column in now["inputs"]:
        assert column["values"] == 10
        assert column["mean"] == pytest.approx(float(rows[0][column["column"]]), rel=1e-12)
    assert {c["column"]: c["std"] for c in now["inputs"] if c["std"] != 0} == {}


def test_the_onnx_download_scores_like_the_endpoint_in_plain_onnxruntime(
    deployed: Deployed, caller: Caller
) -> None:
    import numpy as np
    import onnxruntime

    version = f"{deployed.server.url}/api/endpoints/{deployed.id}/versions/1/"
    download = deployed.session.http.get(version + "model.onnx")
    assert download.status_code == 200, download.text
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"] == 'attachment; filename="cancer-v1.onnx"'
    manifest = deployed.session.call(
        "GET", f"/api/endpoints/{deployed.id}/versions/1/model.onnx.json"
    )
    [matrix] = manifest["inputs"]
    labels, probabilities = manifest["outputs"]
    assert matrix["columns"] == manifest["features"]

    rows, _ = deployed.test_rows()
    status, body = caller.score({"rows": rows[:200]})
    assert status == 200, body
    session = onnxruntime.InferenceSession(download.content, providers=["CPUExecutionProvider"])
    X = np.array([[row[c] for c in matrix["columns"]] for row in rows[:200]], matrix["type"])
    got_labels, got_proba = session.run(
        [labels["name"], probabilities["name"]], {matrix["name"]: X}
    )
    assert got_labels.tolist() == [r[labels["response_column"]] for r in body["rows"]]
    tolerance = manifest["tolerance"]
    for column, index in probabilities["response_columns"].items():
        for got, answer in zip(got_proba[:, index], body["rows"], strict=True):
            want = answer[column]
            assert abs(got - want) <= tolerance["absolute"] + tolerance["relative"] * abs(want)
