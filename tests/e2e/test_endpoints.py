"""Publishing in a real browser: publish from the editor, create a key, copy the curl example,
run it in a shell, and see the call in the endpoint's history."""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any

import pytest
import requests
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import api, upload_dataset
from tests.e2e.server import LiveServer
from tests.e2e.test_editor import create_graph
from tests.integration.endpoints.conftest import scoring_document

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("DESIGNER_SCREENSHOTS")  # `make screenshot` sets it


def publish(page: Page, server: LiveServer, name: str, graph: int) -> Any:
    """Publish `graph` as an endpoint named `name` through the API: the endpoint."""
    body = {"name": name, "graph": graph}
    return api(page, server, "POST", f"/api/workspaces/{server.workspace}/endpoints/", body)


def test_publish_copy_the_curl_example_run_it_and_see_the_call(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    document = scoring_document()
    document["parameters"]["where"]["default"] = "a > 0"  # the example then needs no editing
    graph = create_graph(page, designer_server, "Churn scoring", document)
    page.goto(f"{designer_server.url}/graphs/{graph}/")

    page.get_by_test_id("publish-button").click()
    page.get_by_test_id("publish-name").fill("churn")
    page.get_by_test_id("publish-confirm").click()
    expect(page.get_by_test_id("publish-done")).to_contain_text("Version 1 of endpoint churn")
    page.get_by_test_id("open-endpoint").click()
    page.wait_for_url(re.compile(r"/endpoints/\d+/$"))
    expect(page.get_by_test_id("endpoint-name")).to_have_text("churn")

    page.get_by_test_id("key-name").fill("laptop")
    page.get_by_test_id("create-key").click()
    key = page.get_by_test_id("new-key-value").inner_text()
    assert key.startswith("dse_")
    expect(page.get_by_test_id("example")).to_contain_text(key)

    page.get_by_test_id("copy-example").click()
    example = page.evaluate("navigator.clipboard.readText()")
    assert example.startswith("status_url=$(curl") and key in example
    shell = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", example], capture_output=True, text=True, timeout=120
    )
    assert shell.returncode == 0, shell.stderr
    assert '"status":"succeeded"' in shell.stdout.replace(" ", "")

    history = page.get_by_test_id("call-history")
    expect(history.get_by_test_id("call-status")).to_have_text("succeeded", timeout=15_000)
    expect(history).to_contain_text("key: laptop")
    run = history.get_by_test_id("call-run").inner_text()
    expect(history.get_by_test_id("call-run")).to_have_attribute("href", f"/runs/{run}/")

    page.get_by_test_id("schedule-cron").fill("30 2 * * *")
    page.get_by_test_id("schedule-zone").fill("Europe/Berlin")
    expect(page.get_by_test_id("next-fires").locator("li")).to_have_count(5)
    page.get_by_test_id("schedule-cron").fill("99 * * * *")
    expect(page.get_by_test_id("schedule-problem")).to_contain_text("not a valid cron")
    page.get_by_test_id("schedule-cron").fill("0 6 * * 1-5")
    page.get_by_test_id("add-schedule").click()
    expect(page.get_by_test_id("schedules-panel")).to_contain_text("0 6 * * 1-5")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/endpoint.png", full_page=True)

    # the call's run says which key of which endpoint started it, on its page and in the list
    history.get_by_test_id("call-run").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("key laptop (dse_")
    expect(page.get_by_test_id("run-origin")).to_contain_text("via endpoint churn")
    page.goto(f"{designer_server.url}/graphs/{graph}/runs/")
    origin = page.get_by_test_id(f"run-row-{run}").get_by_test_id("run-origin")
    expect(origin).to_contain_text("key laptop (dse_")
    origin.get_by_role("link", name="churn").click()
    expect(page.get_by_test_id("endpoint-name")).to_have_text("churn")
    endpoint = page.url.rstrip("/").rsplit("/", 1)[1]

    # a file the key sends becomes a dataset version that says which call sent it
    sent = requests.post(
        f"{designer_server.url}/api/endpoints/{endpoint}/invoke/",
        headers={"Authorization": f"Bearer {key}"},
        data={"parameters": json.dumps({"where": "a > 0"})},
        files={"rows": ("rows.csv", b"a,b\n5,p\n")},
        timeout=30,
    )
    assert sent.status_code == 202, sent.text
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/datasets/")
    page.get_by_test_id("preview-dataset-endpoint.churn.rows").click()
    origin = page.get_by_test_id("dataset-origin")
    expect(origin).to_contain_text("Sent by key laptop (dse_")
    expect(origin).to_contain_text("via endpoint churn (rows.csv)")

    endpoints = api(
        page, designer_server, "GET", f"/api/workspaces/{designer_server.workspace}/endpoints/"
    )
    assert "churn" in [e["name"] for e in endpoints["results"]]  # the session's server is shared


def test_a_schedule_reads_a_registered_dataset_into_a_required_input(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    document = scoring_document()
    document["nodes"] = [n for n in document["nodes"] if n["id"] != "sample"]
    document["edges"] = [e for e in document["edges"] if e["source"]["node"] != "sample"]
    graph = create_graph(page, designer_server, "Nightly filter", document)
    upload_dataset(page, designer_server, "nightly-rows", b"a,b\n1,x\n-2,y\n")
    endpoint = publish(page, designer_server, "nightly-filter", graph)
    page.goto(f"{designer_server.url}/endpoints/{endpoint['id']}/")

    choice = page.get_by_test_id("schedule-input-rows")
    expect(choice.locator("option").first).to_have_text("Choose a registered dataset")
    page.get_by_test_id("schedule-params").fill('{"where": "a > 0"}')
    choice.select_option("nightly-rows")
    page.get_by_test_id("add-schedule").click()
    expect(page.get_by_test_id("schedules-panel")).to_contain_text(
        "rows ← nightly-rows (its latest version at each fire)"
    )
    [schedule] = api(page, designer_server, "GET", f"/api/endpoints/{endpoint['id']}/schedules/")[
        "results"
    ]
    assert schedule["inputs"] == {"rows": {"dataset": "nightly-rows"}}
    # named as the call history, its runs and a refused dataset delete name it
    card = page.get_by_test_id(f"schedule-{schedule['id']}")
    expect(card).to_contain_text(f"Schedule {schedule['id']}")

    # the dataset the schedule reads is not deleted from under it: archived, if the user agrees
    dialogs: list[str] = []

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        if len(dialogs) == 1:
            dialog.accept()  # delete: yes
        else:
            dialog.dismiss()  # archive instead: no

    page.on("dialog", answer)
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/datasets/")
    page.get_by_test_id("delete-dataset-nightly-rows").click()
    for _ in range(100):  # the second dialog opens when the server has answered
        if len(dialogs) == 2:
            break
        page.wait_for_timeout(100)
    assert len(dialogs) == 2, dialogs
    assert f"is read by schedule {schedule['id']} of endpoint nightly-filter" in dialogs[1]
    assert "?archive=1" not in dialogs[1], dialogs[1]  # the API's way out is not the page's
    expect(page.get_by_test_id("delete-dataset-nightly-rows")).to_be_visible()  # still listed


def test_an_editor_grants_keys_a_dataset_on_the_endpoints_page(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    graph = create_graph(page, designer_server, "Key datasets", scoring_document())
    upload_dataset(page, designer_server, "granted-rows", b"a,b\n1,x\n-2,y\n")
    endpoint = publish(page, designer_server, "key-datasets", graph)
    key = api(
        page,
        designer_server,
        "POST",
        f"/api/workspaces/{designer_server.workspace}/endpoint-keys/",
        {"name": "customer", "endpoint": endpoint["id"]},
    )["key"]

    def call() -> requests.Response:
        return requests.post(
            f"{designer_server.url}/api/endpoints/{endpoint['id']}/invoke/",
            headers={"Authorization": f"Bearer {key}"},
            json={
                "parameters": {"where": "a > 0"},
                "inputs": {"rows": {"dataset": "granted-rows"}},
            },
            timeout=30,
        )

    assert call().status_code == 400  # a new endpoint grants keys no dataset
    page.goto(f"{designer_server.url}/endpoints/{endpoint['id']}/")
    panel = page.get_by_test_id("key-datasets-panel")
    expect(panel.get_by_test_id("key-datasets-none")).to_be_visible()
    panel.get_by_test_id("key-dataset-choice").select_option("granted-rows")
    panel.get_by_test_id("key-dataset-grant").click()
    expect(panel.get_by_test_id("key-dataset")).to_have_text(re.compile(r"granted-rows\s*Remove"))
    assert call().status_code == 202

    panel.get_by_role("button", name="Stop granting granted-rows").click()
    expect(panel.get_by_test_id("key-datasets-none")).to_be_visible()
    assert call().status_code == 400
