"""A real-time endpoint in a real browser: on a finished training run's page, create its
inference graph; publish it as real-time from the editor, create a key, score the example row
in the "try it" box, run the page's curl example in a shell, and see the calls and their
inputs in the endpoint's monitoring, and the key's last use in the keys list."""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import api
from tests.e2e.server import LiveServer
from tests.unit.serving.harness import training_document

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("DESIGNER_SCREENSHOTS")  # `make screenshot` sets it


def training_run(page: Page, server: LiveServer) -> int:
    """Train logistic regression on breast cancer through the API, to the end."""
    document = training_document("ml.logistic_regression", {}, "breast_cancer")
    graph = api(
        page,
        server,
        "POST",
        f"/api/workspaces/{server.workspace}/graphs/",
        {"name": "Cancer training", "document": document},
    )
    run = api(page, server, "POST", f"/api/graphs/{graph['id']}/runs/", {})
    deadline = time.monotonic() + 180
    while run["status"] not in ("succeeded", "failed", "canceled"):
        assert time.monotonic() < deadline, run
        time.sleep(0.2)
        run = api(page, server, "GET", f"/api/runs/{run['id']}/")
    assert run["status"] == "succeeded", run
    return int(run["id"])


def test_publish_real_time_try_it_and_run_the_curl_example(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{designer_server.url}/runs/{training_run(page, designer_server)}/")
    page.get_by_test_id("create-inference-graph").click()
    page.wait_for_url(re.compile(r"/graphs/\d+/$"))
    expect(page.get_by_text("Frozen trained model").first).to_be_visible()

    page.get_by_test_id("publish-button").click()
    expect(page.get_by_test_id("kind-realtime")).to_be_checked()  # an inference graph
    page.get_by_test_id("publish-name").fill("cancer-scoring")
    page.get_by_test_id("publish-confirm").click()
    # compiling checks ONNX against scikit-learn on the training rows: seconds on a busy machine
    expect(page.get_by_test_id("publish-done")).to_contain_text(
        "Version 1 of endpoint", timeout=90_000
    )
    page.get_by_test_id("open-endpoint").click()
    page.wait_for_url(re.compile(r"/endpoints/\d+/$"))
    expect(page.get_by_test_id("score-url")).to_have_text(
        re.compile(rf"^{designer_server.scoring_url}/score/endpoints/\d+/$")
    )
    expect(page.get_by_test_id("version-1")).to_contain_text("ONNX Runtime")
    expect(page.get_by_test_id("version-1").get_by_test_id("onnx-download")).to_have_attribute(
        "href", re.compile(r"^/api/endpoints/\d+/versions/1/model\.onnx$")
    )
    expect(page.get_by_test_id("version-1").get_by_test_id("traffic-share")).to_contain_text(
        "100 %"
    )

    page.get_by_test_id("key-name").fill("laptop")
    page.get_by_test_id("create-key").click()
    key = page.get_by_test_id("new-key-value").inner_text()
    assert key.startswith("dse_")
    expect(page.get_by_test_id("try-key")).to_have_value(key)
    expect(page.get_by_test_id("try-body")).to_have_value(re.compile(r'"mean radius"'))
    example_rows = page.get_by_test_id("try-body").input_value()
    page.get_by_test_id("try-body").fill('{"rows": [{"mean radius": "big"}]}')
    page.get_by_test_id("try-send").click()
    # the first call loads the version into the scoring process
    expect(page.get_by_test_id("try-status")).to_contain_text("HTTP 422", timeout=60_000)
    expect(page.get_by_test_id("try-answer")).to_contain_text(
        "'mean radius' must be a finite number"
    )
    page.get_by_test_id("try-body").fill(example_rows)
    page.get_by_test_id("try-send").click()
    expect(page.get_by_test_id("try-status")).to_contain_text("HTTP 200")
    expect(page.get_by_test_id("try-answer")).to_contain_text('"Scored Probabilities"')

    page.get_by_test_id("copy-example").click()
    example = page.evaluate("navigator.clipboard.readText()")
    assert example.startswith("curl") and key in example
    shell = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", example], capture_output=True, text=True, timeout=60
    )
    assert shell.returncode == 0, shell.stderr
    assert '"Scored Labels"' in shell.stdout and '"version": 1' in shell.stdout

    calls = page.get_by_test_id("monitoring-v1").get_by_test_id("monitoring-calls")
    expect(calls).to_have_text("3", timeout=20_000)  # try it twice, curl once
    expect(page.get_by_test_id("last-errors")).to_contain_text("invalid_rows")
    expect(page.get_by_test_id("input-drift")).to_contain_text("mean compactness")
    # the scoring process's calls count as the key's use, as the keys list shows after a reload
    page.reload()
    laptop = page.get_by_test_id("key-list").get_by_role("row", name=re.compile("laptop"))
    expect(laptop).not_to_contain_text("never")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/realtime-endpoint.png", full_page=True)
