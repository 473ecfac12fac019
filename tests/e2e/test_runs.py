"""Runs in a real browser: the run page, run vs run, logs after a reload, a Python error's line,
and column pickers that work before anything ran."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import api
from tests.e2e.server import LiveServer
from tests.e2e.test_editor import FIVE_STEPS, PAGE, create_graph

pytestmark = pytest.mark.e2e

LINES = 30
CHATTY = (
    "def azureml_main(df1, df2=None):\n"
    f"    for i in range({LINES}):\n"
    "        print(f'line {i}')\n"
    "    return df1\n"
)
BROKEN = "def azureml_main(df1, df2=None):\n    total = 0\n    return df1[df1['incme'] > total]\n"


def with_script(document: dict[str, Any], code: str) -> dict[str, Any]:
    """The document plus a Python script node reading the data node's table."""
    doc = copy.deepcopy(document)
    doc["nodes"].append(
        {
            "id": "py",
            "module": "script.python@1",
            "params": {"code": code},
            "position": {"x": 300, "y": 340},
        }
    )
    doc["edges"].append(
        {
            "id": "epy",
            "source": {"node": "data", "port": "dataset"},
            "target": {"node": "py", "port": "dataset1"},
        }
    )
    return doc


def run_and_wait(page: Page, server: LiveServer, graph: int, body: Any = None) -> int:
    run = api(page, server, "POST", f"/api/graphs/{graph}/runs/", body or {})
    page.goto(f"{server.url}/runs/{run['id']}/")
    expect(page.get_by_test_id("run-page")).to_have_attribute(
        "data-status", re.compile("succeeded|failed"), timeout=90_000
    )
    return int(run["id"])


def test_a_run_page_shows_every_step_and_log_line_and_compares_two_runs(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    graph = create_graph(page, designer_server, "Run page", with_script(FIVE_STEPS, CHATTY))
    first = run_and_wait(page, designer_server, graph)  # the script is new: it runs (and logs)
    expect(page.get_by_test_id("node-py")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("node-evaluate")).to_have_attribute(
        "data-status", re.compile("succeeded|reused")
    )
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    expect(crumbs).to_have_text(re.compile(r"/\s*Research\s*/\s*Run page\s*/\s*Runs\s*/\s*Run \d+"))

    page.get_by_test_id("node-py").click()
    details = page.get_by_test_id("step-details")
    expect(details.get_by_test_id("attempt-1")).to_contain_text("succeeded")
    expect(details.get_by_test_id("download-result1-csv")).to_be_visible()
    log = page.get_by_test_id("step-log")
    expect(
        log.get_by_test_id("log-line").filter(has_text=re.compile(r"^\d+line \d+$"))
    ).to_have_count(LINES)
    page.reload()  # every line again, from the API
    page.get_by_test_id("node-py").click()
    lines = page.get_by_test_id("step-log").get_by_test_id("log-line")
    expect(lines.filter(has_text=re.compile(r"^\d+line \d+$"))).to_have_count(LINES)
    expect(lines.filter(has_text="line 29")).to_have_count(1)

    page.get_by_test_id("plan-tab").click()
    expect(page.get_by_test_id("plan-step-evaluate")).to_contain_text("Evaluate model")

    # a changed learner, run again: the page compares the two runs step by step
    doc = api(page, designer_server, "GET", f"/api/graphs/{graph}/")
    draft = doc["draft"]
    next(n for n in draft["nodes"] if n["id"] == "learner")["params"]["C"] = 0.05
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    saved = page.request.put(
        f"{designer_server.url}/api/graphs/{graph}/draft/",
        data=draft,
        headers={"X-CSRFToken": token, "If-Match": doc["etag"], "Content-Type": "application/json"},
    )
    assert saved.ok, saved.text()
    second = run_and_wait(page, designer_server, graph)
    expect(page.get_by_test_id("node-data")).to_have_attribute("data-status", "reused")
    page.get_by_test_id("node-data").click()
    reused = re.compile(r"^reused from run \d+ \(\w+ \d+, alice\)$")  # who and when, no key
    expect(page.get_by_test_id("step-reason")).to_have_text(reused)

    page.goto(f"{designer_server.url}/graphs/{graph}/runs/")
    expect(crumbs).to_have_text(re.compile(r"Workspaces\s*/\s*Research\s*/\s*Run page\s*/\s*Runs$"))
    page.get_by_test_id("run-list").locator("input[type=checkbox]").nth(0).check()
    page.get_by_test_id("run-list").locator("input[type=checkbox]").nth(1).check()
    page.get_by_test_id("run-compare").click()
    page.wait_for_url(re.compile(rf"/runs/({first}/compare/{second}|{second}/compare/{first})/$"))
    expect(crumbs).to_have_text(re.compile(r"Research\s*/\s*Run page\s*/\s*Runs\s*/\s*Run \d+ vs"))
    expect(crumbs.get_by_role("link", name="Runs")).to_have_attribute(
        "href", f"/graphs/{graph}/runs/"
    )
    learner = page.get_by_test_id("compare-step-learner")
    expect(learner).to_have_attribute("data-changed", "true")
    expect(learner).to_contain_text("param C: 1 → 0.05")
    expect(page.get_by_test_id("compare-step-train")).to_contain_text(
        "upstream Logistic regression"
    )
    expect(page.get_by_test_id("compare-step-data")).to_have_attribute("data-changed", "false")
    log_loss = page.get_by_test_id("metric-row-log_loss")
    expect(log_loss).to_contain_text("lower is better")
    delta = log_loss.get_by_test_id("metric-delta")
    improved = delta.get_attribute("data-improved")
    sign = (delta.text_content() or "").strip()[:1]
    if improved:  # lower is better: a fall is green, a rise is red
        assert (improved == "true") == (sign == "-"), (improved, sign)
        expect(delta).to_have_class("delta-better" if improved == "true" else "delta-worse")

    # both runs side by side by their metrics; sorted by log loss, the lower one comes first
    page.goto(f"{designer_server.url}/graphs/{graph}/runs/")
    page.get_by_test_id("view-metrics").click()
    table = page.get_by_test_id("metrics-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    reported = {
        row["run"]["id"]: next(m["value"] for m in row["metrics"] if m["name"] == "log_loss")
        for row in api(page, designer_server, "GET", f"/api/graphs/{graph}/metrics/")["results"]
    }
    best = min(reported, key=lambda run: reported[run])
    sort_by_log_loss = table.get_by_test_id("metric-column-log_loss").get_by_role("button")
    expect(sort_by_log_loss).to_contain_text("log loss")  # named as Compare and the preview do
    sort_by_log_loss.click()
    expect(table.locator("tbody tr").first).to_have_attribute("data-testid", f"metrics-row-{best}")
    column = [c.get_attribute("data-testid") for c in table.locator("thead th").all()].index(
        "metric-column-log_loss"
    )
    best_cell = table.get_by_test_id(f"metrics-row-{best}").locator("td").nth(column)
    expect(best_cell).to_have_attribute("data-best", "true")
    expect(best_cell).to_have_class(re.compile("metric-best"))


def test_a_python_error_points_at_the_users_line(alice: Page, designer_server: LiveServer) -> None:
    page = alice
    graph = create_graph(page, designer_server, "Broken script", with_script(FIVE_STEPS, BROKEN))
    page.goto(f"{designer_server.url}/graphs/{graph}/")
    page.get_by_test_id("run-button").click()  # no parameters: no dialog
    node = page.get_by_test_id("node-py")
    expect(node).to_have_attribute("data-status", "failed", timeout=90_000)
    node.click()
    error = page.get_by_test_id("step-error")
    expect(error).to_contain_text("code: line 3: KeyError: 'incme'")
    expect(error).to_contain_text("library frame")  # pandas' own frames, folded
    expect(page.get_by_test_id("code-error-line")).to_contain_text("df1['incme']")
    page.get_by_test_id("logs-tab").click()
    expect(page.get_by_test_id("logs-panel")).to_contain_text("KeyError: 'incme'")


LONG_TEXT = (
    "def azureml_main(df1, df2=None):\n"
    "    return df1.head(3).assign(note=['abcde' * 1000, 'short', None],\n"
    "                              tags=[list(range(2000)), [1, 2], None])\n"
)


def preview_script_output(page: Page, server: LiveServer, name: str, code: str) -> Locator:
    """Run the five-step graph with `code` as its script; open the preview of its result1."""
    run_and_wait(page, server, create_graph(page, server, name, with_script(FIVE_STEPS, code)))
    page.get_by_test_id("node-py").click()
    page.get_by_test_id("preview-py-result1").click()
    return page.get_by_test_id("output-preview")


def test_a_previewed_long_text_and_long_list_are_shown_cut_saying_what_is_known(
    alice: Page, designer_server: LiveServer
) -> None:
    preview = preview_script_output(alice, designer_server, "Long notes", LONG_TEXT)
    preview.get_by_test_id("preview-rows-tab").click()
    table = preview.get_by_test_id("preview-table")
    cut = table.get_by_test_id("cell-cut")
    expect(cut).to_have_count(2)
    expect(cut.nth(0)).to_have_text("… 5,000 characters in all")
    expect(cut.nth(1)).to_have_text("… cut")  # a list: its whole length is not counted
    first = table.locator("tbody tr").first
    expect(first).to_contain_text("abcde" * 200)
    expect(first).not_to_contain_text("abcde" * 201)
    expect(first).to_contain_text("[0,1,2,3,4,5,")
    expect(first).not_to_contain_text(",1999]")
    expect(table.locator("tbody tr").nth(1)).to_contain_text("short")
    expect(table.locator("tbody tr").nth(1)).to_contain_text("[1,2]")
    note = first.get_by_test_id("cell-long").first  # one line of it, not 1,000 characters wide
    closed = note.bounding_box()
    assert closed is not None and closed["width"] < 400 and closed["height"] < 30, closed
    note.click()  # opened: all of what the page holds, wrapped
    expect(note).to_have_attribute("aria-expanded", "true")
    opened = note.bounding_box()
    assert opened is not None and opened["width"] < 600 and opened["height"] > 100, opened


WIDE = (
    "import pandas as pd\n\n"
    "def azureml_main(df1, df2=None):\n"
    "    return pd.DataFrame({f'c{i}': [i, i + 1] for i in range(250)})\n"
)


def test_a_wide_table_is_previewed_a_hundred_columns_at_a_time(
    alice: Page, designer_server: LiveServer
) -> None:
    preview = preview_script_output(alice, designer_server, "Wide", WIDE)
    expect(preview.get_by_test_id("table-shape")).to_have_text(
        "2 rows × 250 columns · statistics of the first 100"  # noqa: RUF001
    )
    preview.get_by_test_id("preview-rows-tab").click()
    headers = preview.get_by_test_id("preview-table").locator("thead th")
    expect(headers).to_have_count(101)  # the row number, then 100 columns
    expect(headers.nth(1)).to_have_text("c0")
    expect(preview.get_by_test_id("columns-shown")).to_have_text("columns 1–100 of 250")  # noqa: RUF001
    preview.get_by_test_id("columns-next").click()
    expect(headers.nth(1)).to_have_text("c100")
    expect(preview.get_by_test_id("columns-shown")).to_have_text("columns 101–200 of 250")  # noqa: RUF001
    preview.get_by_test_id("columns-next").click()
    expect(headers).to_have_count(51)
    expect(preview.get_by_test_id("preview-table").locator("tbody tr").first).to_contain_text("249")
    expect(preview.get_by_test_id("columns-next")).to_be_disabled()


def test_column_pickers_work_before_anything_ran(alice: Page, designer_server: LiveServer) -> None:
    page = alice
    doc = with_script(FIVE_STEPS, "def azureml_main(df1, df2=None):\n    return df1\n")
    doc["nodes"] += [
        {
            "id": "pick",
            "module": "transform.select_columns@1",
            "params": {},
            "position": {"x": 600, "y": 0},
        },
        {
            "id": "after",
            "module": "transform.select_columns@1",
            "params": {},
            "position": {"x": 600, "y": 500},
        },
    ]
    doc["edges"] += [
        {
            "id": "ep",
            "source": {"node": "data", "port": "dataset"},
            "target": {"node": "pick", "port": "dataset"},
        },
        {
            "id": "ea",
            "source": {"node": "py", "port": "result1"},
            "target": {"node": "after", "port": "dataset"},
        },
    ]
    graph = create_graph(page, designer_server, "Columns", doc)
    page.goto(f"{designer_server.url}/graphs/{graph}/")
    page.get_by_test_id("node-pick").click()
    chips = page.get_by_test_id("inspector").locator(".column-chip")
    expect(chips.filter(has_text="mean radius")).to_have_count(1)  # breast cancer, never run
    expect(page.get_by_test_id("columns-unknown")).to_have_count(0)

    page.get_by_test_id("node-after").click()
    unknown = page.get_by_test_id("columns-unknown")
    expect(unknown).to_contain_text("Execute Python script")
    unknown.get_by_test_id("list-columns").click()  # runs the script (and what it needs) only
    expect(page.get_by_test_id("node-py")).to_have_attribute(
        "data-status", "succeeded", timeout=90_000
    )
    expect(page.get_by_test_id("node-after")).to_have_attribute("data-status", "idle")
    expect(chips.filter(has_text="mean radius")).to_have_count(1)


def test_the_datasets_page_says_which_run_step_wrote_a_version(
    alice: Page, designer_server: LiveServer
) -> None:
    page, server = alice, designer_server
    nodes = [
        {"id": "data", "module": "data.sample_dataset@1", "params": {"name": "iris"}},
        {
            "id": "save",
            "module": "output.export_data@1",
            "label": "Save flowers",
            "params": {"name": "lineage-flowers"},
        },
    ]
    document = {
        "schema_version": 1,
        "parameters": {},
        "nodes": [{**n, "position": {"x": 0, "y": 200 * i}} for i, n in enumerate(nodes)],
        "edges": [
            {
                "id": "e1",
                "source": {"node": "data", "port": "dataset"},
                "target": {"node": "save", "port": "dataset"},
            }
        ],
    }
    run = run_and_wait(page, server, create_graph(page, server, "Export flowers", document))
    page.goto(f"{server.url}/workspaces/{server.workspace}/datasets/")
    page.get_by_test_id("dataset-file").set_input_files(
        {"name": "lineage-upload.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}
    )
    page.get_by_role("button", name="Upload").click()
    page.get_by_test_id("preview-dataset-lineage-upload").click()
    expect(page.get_by_test_id("dataset-origin")).to_have_text(
        "Uploaded by alice (lineage-upload.csv)"
    )
    page.get_by_test_id("preview-dataset-lineage-flowers").click()
    origin = page.get_by_test_id("dataset-origin")
    expect(origin).to_have_text(f"Written by run {run} · step Save flowers")
    origin.get_by_role("link", name=f"run {run}").click()
    page.wait_for_url(f"{server.url}/runs/{run}/")
    expect(page.get_by_test_id("run-page")).to_have_attribute("data-status", "succeeded")


def test_a_long_run_history_is_shown_a_page_at_a_time(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    graph = create_graph(page, designer_server, "Hourly", FIVE_STEPS)
    first = run_and_wait(page, designer_server, graph)
    for _ in range(PAGE):  # unchanged reruns: every step reused, each finished in its POST
        api(page, designer_server, "POST", f"/api/graphs/{graph}/runs/", {})
    page.goto(f"{designer_server.url}/graphs/{graph}/runs/")
    rows = page.get_by_test_id("run-list").locator("tbody tr")
    expect(page.get_by_test_id("list-footer")).to_contain_text(f"Showing {PAGE} of {PAGE + 1} runs")
    expect(rows).to_have_count(PAGE)
    expect(page.get_by_test_id(f"run-row-{first}")).to_have_count(0)
    page.get_by_test_id("show-more").click()
    expect(page.get_by_test_id(f"run-row-{first}")).to_be_visible()  # the oldest, last
    expect(page.get_by_test_id("list-footer")).to_have_count(0)


def one_step(csv: str, code: str | None = None) -> dict[str, Any]:
    """Entered rows, and optionally a Python script on them."""
    nodes = [{"id": "data", "module": "data.enter_data@1", "params": {"csv": csv}}]
    edges = []
    if code is not None:
        nodes.append({"id": "py", "module": "script.python@1", "params": {"code": code}})
        edges.append(
            {
                "id": "e1",
                "source": {"node": "data", "port": "dataset"},
                "target": {"node": "py", "port": "dataset1"},
            }
        )
    for n, node in enumerate(nodes):
        node["position"] = {"x": 0, "y": 150 * n}
    return {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": edges}


def finished(page: Page, server: LiveServer, graph: int) -> dict[str, Any]:
    run = api(page, server, "POST", f"/api/graphs/{graph}/runs/", {})
    for _ in range(300):
        run = api(page, server, "GET", f"/api/runs/{run['id']}/")
        if run["status"] in ("succeeded", "failed"):
            return run
        page.wait_for_timeout(200)
    raise AssertionError(f"run {run['id']} did not finish: {run['status']}")


def test_a_workspaces_runs_across_its_pipelines_filtered_and_live(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    workspace = api(page, designer_server, "POST", "/api/workspaces/", {"name": "Ops"})["id"]
    daily = create_graph(page, designer_server, "Daily load", one_step("a\n1\n"), workspace)
    broken = one_step("a\n1\n", "def azureml_main(df1, df2=None):\n    raise ValueError('no')\n")
    job = create_graph(page, designer_server, "Broken job", broken, workspace)
    loaded, failed = finished(page, designer_server, daily), finished(page, designer_server, job)
    assert (loaded["status"], failed["status"]) == ("succeeded", "failed")

    page.goto(f"{designer_server.url}/workspaces/{workspace}/")
    page.get_by_test_id("runs-link").click()
    page.wait_for_url(f"**/workspaces/{workspace}/runs/")
    rows = page.get_by_test_id("run-list").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id(f"run-row-{failed['id']}")).to_contain_text("Broken job")
    expect(page.get_by_test_id(f"run-row-{loaded['id']}")).to_contain_text("Daily load")

    page.get_by_test_id("run-status-filter").select_option("failed")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Broken job")

    page.get_by_test_id("run-status-filter").select_option("")
    expect(rows).to_have_count(2)
    page.get_by_test_id("run-search").fill("daily")  # the pipeline's name, any case
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Daily load")
    page.get_by_test_id("run-search").fill("")
    expect(rows).to_have_count(2)
    again = api(page, designer_server, "POST", f"/api/graphs/{daily}/runs/", {"bypass_cache": True})
    expect(page.get_by_test_id(f"run-row-{again['id']}")).to_contain_text("Daily load")  # live
    expect(rows).to_have_count(3)

    started_by = page.get_by_test_id("run-started-by-filter")
    started_by.select_option(label="endpoint calls")  # none here: every run was started by alice
    expect(rows).to_have_count(0)
    expect(page.get_by_text("No run matches.")).to_be_visible()
    started_by.select_option(label="alice (you)")
    expect(rows).to_have_count(3)
    started_by.select_option("")

    page.get_by_test_id(f"run-row-{failed['id']}").get_by_test_id("run-pipeline").click()
    page.wait_for_url(f"**/graphs/{job}/runs/")
    expect(page.get_by_test_id("run-list").locator("tbody tr")).to_have_count(1)


def test_a_running_run_is_canceled_from_its_page(alice: Page, designer_server: LiveServer) -> None:
    page = alice
    slow = "import time\n\ndef azureml_main(df1, df2=None):\n    time.sleep(120)\n    return df1\n"
    graph = create_graph(page, designer_server, "Slow job", one_step("a\n1\n", slow))
    run = api(page, designer_server, "POST", f"/api/graphs/{graph}/runs/", {"bypass_cache": True})
    page.goto(f"{designer_server.url}/runs/{run['id']}/")
    run_page = page.get_by_test_id("run-page")
    expect(run_page).to_have_attribute("data-status", "running", timeout=30_000)
    expect(page.get_by_test_id("delete-run")).to_have_count(0)  # not while it runs

    page.get_by_test_id("cancel-run").click()
    expect(run_page).to_have_attribute("data-status", "canceled", timeout=30_000)
    expect(page.get_by_test_id("cancel-run")).to_have_count(0)
    expect(page.get_by_test_id("delete-run")).to_be_visible()


def test_a_sweep_from_the_run_dialog_runs_each_value_and_lists_them_by_metrics(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    doc = copy.deepcopy(FIVE_STEPS)
    doc["parameters"] = {"C": {"type": "float", "default": 1.0}}
    next(n for n in doc["nodes"] if n["id"] == "learner")["params"]["C"] = "$C"
    graph = create_graph(page, designer_server, "Swept", doc)
    page.goto(f"{designer_server.url}/graphs/{graph}/")
    expect(page.get_by_test_id("editor")).to_have_attribute("data-synced", "true")

    page.get_by_test_id("run-button").click()  # a parameter: the dialog asks for it
    page.locator("#run-param-C").fill("0.05, 1, 20")
    expect(page.get_by_test_id("sweep-summary")).to_contain_text("A sweep of 3 runs")
    expect(page.get_by_test_id("run-preview")).to_be_disabled()
    page.get_by_test_id("run-confirm").click()
    expect(page.get_by_test_id("toast").filter(has_text="Started 3 runs")).to_be_visible()
    expect(page.get_by_test_id("run-dialog")).to_have_count(0)

    page.goto(f"{designer_server.url}/graphs/{graph}/runs/")
    page.get_by_test_id("view-metrics").click()
    rows = page.get_by_test_id("metrics-table").locator("tbody tr")
    expect(rows).to_have_count(3, timeout=90_000)  # each row once its run succeeded, live
    expect(page.get_by_test_id("metrics-table")).to_contain_text("C=0.05")
    expect(page.get_by_test_id("metrics-table")).to_contain_text("C=20")
    expect(page.locator("td[data-best]").first).to_be_visible()
    # sorted by a metric, the sweep is plotted: the metric against C, a point per run
    page.get_by_test_id("metrics-table").get_by_test_id("metric-column-log_loss").get_by_role(
        "button"
    ).click()
    chart = page.get_by_test_id("parameter-chart")
    expect(chart).to_contain_text("log loss (Evaluate model) against C")
    expect(chart.locator("circle")).to_have_count(3)
    expect(chart).to_contain_text("C (log scale)")  # 0.05 to 20
