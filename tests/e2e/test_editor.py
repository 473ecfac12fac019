"""The editor in a real browser: build, wire, refuse, save, reload, run live, preview, versions."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import api, canvas_at_rest, new_context, sign_in, upload_dataset
from tests.e2e.server import LiveServer
from tests.support.graphs import graph, node

pytestmark = pytest.mark.e2e

# `make screenshot` sets this to refresh the README's picture; a test run never writes it
SCREENSHOTS = os.environ.get("DESIGNER_SCREENSHOTS")  # `make screenshot` sets it
PAGE = 50  # a long list's page before "Show more" (PAGE_SIZE, frontend/src/ui/usePagedList.ts)

FIVE_STEPS: dict[str, Any] = {
    "schema_version": 1,
    "parameters": {},
    "nodes": [
        {
            "id": "data",
            "module": "data.sample_dataset@1",
            "params": {"name": "breast_cancer"},
            "position": {"x": 0, "y": 0},
        },
        {
            "id": "learner",
            "module": "ml.logistic_regression@1",
            "params": {},
            "position": {"x": 300, "y": 0},
        },
        {
            "id": "train",
            "module": "ml.train_model@1",
            "params": {"label": "target"},
            "position": {"x": 150, "y": 170},
        },
        {"id": "score", "module": "ml.score_model@1", "params": {}, "position": {"x": 0, "y": 340}},
        {
            "id": "evaluate",
            "module": "ml.evaluate_model@1",
            "params": {},
            "position": {"x": 0, "y": 510},
        },
    ],
    "edges": [
        {"id": f"e{i}", "source": {"node": s, "port": sp}, "target": {"node": t, "port": tp}}
        for i, (s, sp, t, tp) in enumerate(
            [
                ("learner", "model", "train", "model"),
                ("data", "dataset", "train", "dataset"),
                ("train", "model", "score", "model"),
                ("data", "dataset", "score", "dataset"),
                ("score", "dataset", "evaluate", "scored"),
            ],
            start=1,
        )
    ],
    "comments": [],
}


def open_new_graph(page: Page, server: LiveServer, name: str) -> int:
    """Create a pipeline from the workspace page and land in its editor; returns its id."""
    page.goto(f"{server.url}/workspaces/{server.workspace}/")
    page.get_by_test_id("new-graph-name").fill(name)
    page.get_by_test_id("create-graph").click()
    page.wait_for_url(re.compile(r"/graphs/\d+/$"))
    # Editable once the shared copy has arrived (a drop before that adds nothing).
    expect(page.get_by_test_id("editor")).to_have_attribute("data-synced", "true")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def create_graph(
    page: Page,
    server: LiveServer,
    name: str,
    document: dict[str, Any],
    workspace: int | None = None,
) -> int:
    """Create a pipeline with a document through the API (in the seeded workspace unless told);
    returns its id."""
    graph = api(
        page,
        server,
        "POST",
        f"/api/workspaces/{workspace or server.workspace}/graphs/",
        {"name": name, "document": document},
    )
    return int(graph["id"])


def drag_from_palette(page: Page, ref: str, x: int, y: int) -> None:
    """Drag a palette item onto the canvas at (x, y) relative to the canvas."""
    page.get_by_test_id(f"palette-{ref}").drag_to(
        page.get_by_test_id("canvas"), target_position={"x": x, "y": y}
    )


def wire(page: Page, source: str, target: str) -> None:
    """Drag from an output handle to an input handle with the mouse."""
    a = page.get_by_test_id(source).bounding_box()
    b = page.get_by_test_id(target).bounding_box()
    assert a and b
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move((a["x"] + b["x"]) / 2, (a["y"] + b["y"]) / 2, steps=5)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=5)
    page.mouse.up()


def wait_saved(page: Page) -> None:
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved", timeout=10_000)


def node_id(page: Page, module: str, nth: int = 0) -> str:
    """The id of the nth node on the canvas that runs `module` (new ids carry a per-tab tag)."""
    node = page.locator(f'.module-node[data-module="{module}"]').nth(nth)
    expect(node).to_be_visible()
    return str(node.get_attribute("data-testid")).removeprefix("node-")


def test_build_wire_refuse_and_reload(alice: Page, designer_server: LiveServer) -> None:
    page = alice
    graph_id = open_new_graph(page, designer_server, "Built by hand")

    drag_from_palette(page, "data.sample_dataset@1", 200, 120)
    drag_from_palette(page, "ml.train_model@1", 420, 380)
    data, train = node_id(page, "data.sample_dataset@1"), node_id(page, "ml.train_model@1")

    wire(page, f"out-{data}-dataset", f"in-{train}-dataset")
    expect(page.locator(".react-flow__edge")).to_have_count(1)

    wire(page, f"out-{data}-dataset", f"in-{train}-model")
    expect(page.get_by_test_id("toast").filter(has_text="Type mismatch")).to_be_visible()
    expect(page.get_by_test_id("toast")).to_contain_text("DataFrame")
    expect(page.locator(".react-flow__edge")).to_have_count(1)

    page.get_by_test_id("issues-tab").click()
    issues = page.get_by_test_id("issues-panel")
    expect(issues).to_contain_text("Train model: input `model` must be connected")
    expect(issues).not_to_contain_text(f"node `{train}`")

    issues.get_by_text("Train model: input `model` must be connected").click()  # → inspector
    page.locator(f"#param-{train}-label").select_option("target")  # iris: columns known
    wait_saved(page)

    page.reload()
    expect(page.get_by_test_id(f"node-{data}")).to_be_visible()
    expect(page.get_by_test_id(f"node-{train}")).to_be_visible()
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    page.get_by_test_id(f"node-{train}").click()
    expect(page.locator(f"#param-{train}-label")).to_have_value("target")

    saved = api(page, designer_server, "GET", f"/api/graphs/{graph_id}/")["draft"]
    assert [n["module"] for n in saved["nodes"]] == ["data.sample_dataset@1", "ml.train_model@1"]
    assert saved["edges"][0]["source"] == {"node": data, "port": "dataset"}
    assert saved["edges"][0]["target"] == {"node": train, "port": "dataset"}


def test_a_module_found_by_search_is_wired_run_and_previewed(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    open_new_graph(page, designer_server, "Components")
    drag_from_palette(page, "data.sample_dataset@1", 200, 120)
    page.get_by_test_id("palette-search").fill("principal comp")
    expect(page.locator(".palette-item").first).to_contain_text("Principal component analysis")
    drag_from_palette(page, "transform.pca@1", 220, 380)
    data, pca = node_id(page, "data.sample_dataset@1"), node_id(page, "transform.pca@1")
    wire(page, f"out-{data}-dataset", f"in-{pca}-dataset")
    wait_saved(page)
    page.get_by_test_id("run-button").click()
    expect(page.get_by_test_id(f"node-{pca}")).to_have_attribute(
        "data-status", "succeeded", timeout=90_000
    )
    canvas_at_rest(page)
    page.get_by_test_id(f"preview-{pca}-variance").click()
    page.get_by_test_id("preview-rows-tab").click()
    preview = page.get_by_test_id("output-preview")
    expect(preview).to_contain_text("Cumulative ratio")
    expect(preview).to_contain_text("PC2")

    # a correlation matrix previews as a heatmap: iris has 4 numeric columns, 16 cells
    page.get_by_role("button", name="Close preview").click()
    page.get_by_test_id("palette-search").fill("correlation")
    drag_from_palette(page, "stats.correlation@1", 480, 380)
    correlation = node_id(page, "stats.correlation@1")
    wire(page, f"out-{data}-dataset", f"in-{correlation}-dataset")
    wait_saved(page)
    page.get_by_test_id("run-button").click()
    expect(page.get_by_test_id(f"node-{correlation}")).to_have_attribute(
        "data-status", "succeeded", timeout=90_000
    )
    canvas_at_rest(page)
    page.get_by_test_id(f"preview-{correlation}-correlations").click()
    cells = page.get_by_test_id("matrix-view").locator("tbody td")
    expect(cells).to_have_count(16)
    expect(cells.first).to_have_text("1.00")


def wait_all(page: Page, status: str | re.Pattern[str], timeout: int = 90_000) -> None:
    for step in FIVE_STEPS["nodes"]:
        expect(page.get_by_test_id(f"node-{step['id']}")).to_have_attribute(
            "data-status", status, timeout=timeout
        )


RUN_ORDER = ["queued", "running", "succeeded"]


def record_chip_statuses(page: Page) -> None:
    """Record every status the run chip shows from now on, in `window.chipStatuses`."""
    page.evaluate(
        """() => {
          const shown = (window.chipStatuses = []);
          const record = () => {
            const status = document
              .querySelector('[data-testid="run-status"]')
              ?.getAttribute("data-status");
            if (status && shown[shown.length - 1] !== status) shown.push(status);
          };
          new MutationObserver(record).observe(document.body, {
            subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"],
          });
        }"""
    )


def test_run_live_preview_and_rerun_reuses(alice: Page, designer_server: LiveServer) -> None:
    page = alice
    # a workspace of its own: nothing cached by the other tests' runs of the same steps
    workspace = api(page, designer_server, "POST", "/api/workspaces/", {"name": "Live preview"})
    graph_id = create_graph(page, designer_server, "Five steps", FIVE_STEPS, workspace["id"])
    page.goto(f"{designer_server.url}/graphs/{graph_id}/")
    expect(page.get_by_test_id("node-evaluate")).to_have_attribute("data-status", "idle")

    record_chip_statuses(page)
    page.get_by_test_id("run-button").click()  # no parameters: no dialog
    wait_all(page, "succeeded")
    chip = page.get_by_test_id("run-status")
    expect(chip).to_have_attribute("data-status", "succeeded")
    expect(chip).to_contain_text("5 ran, 0 reused")
    # what the chip showed on the way: only forward (queued, running, succeeded), never a
    # failure; a fast run may skip the transient states
    shown = page.evaluate("window.chipStatuses")
    assert set(shown) <= set(RUN_ORDER), shown
    assert shown[-1] == "succeeded" and shown == sorted(set(shown), key=RUN_ORDER.index), shown

    page.get_by_test_id("preview-data-dataset").click()
    preview = page.get_by_test_id("output-preview")
    expect(preview.get_by_test_id("column-stats")).to_contain_text("target")
    expect(preview.locator(".histogram").first).to_be_visible()
    preview.get_by_test_id("preview-rows-tab").click()
    expect(preview.get_by_test_id("preview-table").locator("tbody tr")).to_have_count(50)

    page.get_by_test_id("preview-evaluate-metrics").click()
    expect(preview.get_by_test_id("metric-accuracy")).to_be_visible()
    expect(preview.get_by_test_id("roc-curve").locator("polyline")).to_have_count(1)
    expect(preview.get_by_test_id("pr-curve")).to_be_visible()
    expect(preview.get_by_test_id("confusion-matrix")).to_be_visible()
    for close in page.locator(".toast-close").all():
        close.click()
    if SCREENSHOTS:
        page.get_by_test_id("fit-view").click()
        page.wait_for_timeout(400)  # the fit animation
        page.screenshot(path=f"{SCREENSHOTS}/editor.png")

    page.get_by_test_id("run-button").click()  # no parameters: no dialog
    wait_all(page, "reused")
    expect(page.get_by_test_id("node-train").get_by_test_id("node-reason")).to_contain_text(
        "reused"
    )
    expect(chip).to_have_attribute("data-status", "succeeded")
    # finished in its request, before the page's socket joined: the counts come from the snapshot
    expect(chip).to_contain_text("0 ran, 5 reused")

    page.goto(f"{designer_server.url}/graphs/{graph_id}/runs/")
    checkboxes = page.get_by_test_id("run-list").locator("input[type=checkbox]")
    expect(checkboxes).to_have_count(2)
    checkboxes.nth(0).check()
    checkboxes.nth(1).check()
    page.get_by_test_id("run-compare").click()
    metrics = page.get_by_test_id("compare-metrics")
    expect(metrics.get_by_test_id("metric-row-accuracy")).to_contain_text("Evaluate model")
    expect(page.get_by_test_id("compare-step-train")).to_have_attribute("data-changed", "false")


PLOTTING_SCRIPT = """import matplotlib.pyplot as plt


def azureml_main(dataframe1, dataframe2=None):
    dataframe1["petal length (cm)"].plot.hist(bins=20)
    plt.title("Petal length")
    plt.show()
    return dataframe1
"""


def test_a_regressions_evaluation_plots_predictions_against_labels_and_residuals(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    document = json.loads(json.dumps(FIVE_STEPS))
    nodes = {node["id"]: node for node in document["nodes"]}
    nodes["data"]["params"] = {"name": "diabetes"}  # 442 rows, all drawn
    nodes["learner"]["module"] = "ml.linear_regression@1"
    graph_id = create_graph(page, designer_server, "Diabetes regression", document)
    page.goto(f"{designer_server.url}/graphs/{graph_id}/")
    page.get_by_test_id("run-button").click()
    wait_all(page, "succeeded")
    canvas_at_rest(page)
    page.get_by_test_id("preview-evaluate-metrics").click()
    preview = page.get_by_test_id("output-preview")
    expect(preview.get_by_test_id("metric-r2")).to_be_visible()
    expect(preview.get_by_test_id("predicted-vs-actual").locator("circle")).to_have_count(442)
    expect(preview.get_by_test_id("residuals").locator("rect.histogram-bar")).to_have_count(30)


def iris_into_script(code: str, **extra: Any) -> dict[str, Any]:
    """The iris sample dataset into a Python script placed below it (`extra`: its label)."""
    script = node("script", "script.python@1", code=code)
    script.update(position={"x": 0, "y": 170}, **extra)
    return graph(
        [node("data", "data.sample_dataset@1", name="iris"), script],
        [("data.dataset", "script.dataset1")],
    )


def test_a_python_scripts_figures_are_shown_as_images(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    document = iris_into_script(PLOTTING_SCRIPT)
    graph_id = create_graph(page, designer_server, "Plotting script", document)
    page.goto(f"{designer_server.url}/graphs/{graph_id}/")
    page.get_by_test_id("run-button").click()
    expect(page.get_by_test_id("node-script")).to_have_attribute(
        "data-status", "succeeded", timeout=90_000
    )
    canvas_at_rest(page)
    page.get_by_test_id("preview-script-figures").click()
    figure = page.get_by_test_id("output-preview").get_by_test_id("figure-0")
    expect(figure.locator("figcaption")).to_contain_text("Petal length")
    expect(figure.locator("figcaption")).to_contain_text("640\u00d7480")
    image = figure.locator("img")
    expect(image).to_be_visible()
    # the browser decoded the PNG: an image that failed to load has no natural width
    assert image.evaluate("img => img.complete && img.naturalWidth") == 640
    expect(figure.get_by_role("link", name="Download PNG")).to_have_attribute(
        "download", "Petal-length.png"
    )


METRICS_SCRIPT = """def azureml_main(dataframe1, dataframe2=None):
    return dataframe1, {"rows": len(dataframe1), "mean_petal_length": 3.758}
"""


def test_a_python_scripts_metrics_are_previewed_and_listed_by_run(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    document = iris_into_script(METRICS_SCRIPT, label="My metrics")
    graph_id = create_graph(page, designer_server, "Script metrics", document)
    page.goto(f"{designer_server.url}/graphs/{graph_id}/")
    page.get_by_test_id("run-button").click()
    expect(page.get_by_test_id("node-script")).to_have_attribute(
        "data-status", "succeeded", timeout=90_000
    )
    canvas_at_rest(page)
    page.get_by_test_id("preview-script-metrics").click()
    preview = page.get_by_test_id("output-preview")
    expect(preview.get_by_test_id("metric-rows")).to_contain_text("150")
    expect(preview.get_by_test_id("metric-mean_petal_length")).to_contain_text("3.76")

    page.goto(f"{designer_server.url}/graphs/{graph_id}/runs/")
    page.get_by_test_id("view-metrics").click()
    table = page.get_by_test_id("metrics-table")
    expect(table.get_by_test_id("metric-column-rows")).to_contain_text("My metrics")
    expect(table.get_by_test_id("metric-column-mean_petal_length")).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr td.num")).to_have_text(["3.76", "150"])  # by name


def test_unreachable_server_is_reported_and_retried(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    page.route("**/api/**", lambda route: route.abort("connectionrefused"))
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/")
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    page.unroute("**/api/**")
    expect(page.get_by_test_id("offline-banner")).to_be_hidden(timeout=15_000)
    expect(page.get_by_test_id("new-graph-name")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Research")


def test_graph_list_duplicate_export_import_rename_delete(
    alice: Page, designer_server: LiveServer, tmp_path: Path
) -> None:
    page = alice
    graph_id = create_graph(page, designer_server, "Listed", FIVE_STEPS)
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/")
    row = page.get_by_test_id(f"graph-row-{graph_id}")

    with page.expect_download() as download:
        row.get_by_text("Export").click()
    exported = tmp_path / "listed.json"
    download.value.save_as(exported)
    body = json.loads(exported.read_text())
    assert body["name"] == "Listed" and len(body["document"]["nodes"]) == 5

    row.get_by_role("button", name="Duplicate").click()
    expect(page.get_by_test_id("graph-list").get_by_text("Listed", exact=False)).to_have_count(2)

    page.locator("input[type=file]").set_input_files(exported)
    expect(page.get_by_test_id("toast").filter(has_text="Imported")).to_be_visible()
    expect(page.get_by_test_id("graph-list").get_by_text("Listed", exact=True)).to_have_count(2)

    page.once("dialog", lambda d: d.accept("Renamed pipeline"))
    row.get_by_role("button", name="Rename").click()
    expect(row.locator("a.strong")).to_have_text("Renamed pipeline")

    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    names = [
        g["name"]
        for g in api(
            page, designer_server, "GET", f"/api/workspaces/{designer_server.workspace}/graphs/"
        )["results"]
    ]
    assert "Renamed pipeline" not in names


def test_a_column_param_naming_a_column_the_input_lacks_is_an_issue_before_running(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    document = json.loads(json.dumps(FIVE_STEPS))
    train = next(node for node in document["nodes"] if node["id"] == "train")
    train["params"] = {"label": "diagnosis"}  # breast_cancer's label is "target"
    graph_id = create_graph(page, designer_server, "Wrong label", document)
    page.goto(f"{designer_server.url}/graphs/{graph_id}/")
    expect(page.get_by_test_id("node-train").get_by_test_id("node-issues")).to_have_text("1")
    page.get_by_test_id("issues-tab").click()
    expect(page.get_by_test_id("issues-panel")).to_contain_text(
        "Train model: param `label`: “diagnosis” is not a column of its input"
    )
    page.get_by_test_id("issues-panel").get_by_role("button").first.click()
    page.locator("#param-train-label").select_option("target")
    expect(page.get_by_test_id("node-train").get_by_test_id("node-issues")).to_have_count(0)


def test_a_pipeline_is_started_from_a_shipped_example(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/")
    page.get_by_test_id("from-example").click()
    gallery = page.get_by_test_id("examples-dialog")
    example = gallery.get_by_test_id("example-clustering_iris")
    expect(example).to_contain_text("Clustering: group iris flowers")
    expect(example).to_contain_text("6 modules")
    example.get_by_role("button", name="Use").click()
    page.wait_for_url(re.compile(r"/graphs/\d+/$"))
    expect(page.locator(".module-node")).to_have_count(6)
    expect(page.locator('.module-node[data-module="ml.kmeans@1"]')).to_be_visible()
    page.get_by_test_id("versions-tab").click()
    expect(page.get_by_test_id("version-1")).to_contain_text("Clustering: iris flowers")


def test_a_long_pipeline_list_is_searched_and_shown_a_page_at_a_time(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    graphs = f"/api/workspaces/{designer_server.workspace}/graphs/"
    for n in range(PAGE + 5):
        api(page, designer_server, "POST", graphs, {"name": f"Sweep {n:02d}"})
    api(page, designer_server, "POST", graphs, {"name": "Nightly", "description": "sweep summary"})
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/")
    rows = page.get_by_test_id("graph-list").locator("tbody tr")

    page.get_by_test_id("graph-search").fill("SWEEP")
    expect(page.get_by_test_id("list-footer")).to_contain_text(f"Showing {PAGE} of {PAGE + 6}")
    expect(rows).to_have_count(PAGE)
    expect(rows.first).to_contain_text("Nightly")  # found by its description, newest first
    page.get_by_test_id("show-more").click()
    expect(rows).to_have_count(PAGE + 6)
    expect(page.get_by_test_id("list-footer")).to_have_count(0)
    expect(rows.last).to_contain_text("Sweep 00")

    page.get_by_test_id("graph-search").fill("sweep 07")
    expect(rows).to_have_count(1)
    page.get_by_test_id("graph-search").fill("no such pipeline")
    expect(page.get_by_text("No pipeline matches “no such pipeline”.")).to_be_visible()


def test_a_viewer_is_offered_only_what_a_viewer_can_do(
    alice: Page, browser: Browser, designer_server: LiveServer
) -> None:
    graph = create_graph(alice, designer_server, "Viewed", FIVE_STEPS)
    upload_dataset(alice, designer_server, "viewed", b"a\n1\n")
    context = new_context(browser)
    page = sign_in(context, designer_server, "carol")  # a viewer of the workspace
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/")
    row = page.get_by_test_id(f"graph-row-{graph}")
    expect(row.get_by_role("link", name="Runs")).to_be_visible()
    expect(row.get_by_role("link", name="Export")).to_be_visible()
    for action in ("Rename", "Duplicate", "Delete"):
        expect(row.get_by_role("button", name=action)).to_have_count(0)
    expect(page.get_by_test_id("create-graph")).to_have_count(0)
    expect(page.get_by_role("button", name="Import JSON…")).to_have_count(0)

    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/datasets/")
    expect(page.get_by_test_id("preview-dataset-viewed")).to_be_visible()
    expect(page.get_by_test_id("dataset-file")).to_have_count(0)
    expect(page.locator("[data-testid^=delete-dataset-]")).to_have_count(0)

    run = api(alice, designer_server, "POST", f"/api/graphs/{graph}/runs/", {})
    page.goto(f"{designer_server.url}/runs/{run['id']}/")
    expect(page.get_by_test_id("run-status")).to_have_attribute(
        "data-status", "succeeded", timeout=60_000
    )
    expect(page.get_by_role("link", name="Compare…")).to_be_visible()
    expect(page.get_by_test_id("pin-run")).to_have_count(0)
    expect(page.get_by_test_id("delete-run")).to_have_count(0)
    context.close()


def test_versions_compare_and_restore(alice: Page, designer_server: LiveServer) -> None:
    page = alice
    graph_id = create_graph(page, designer_server, "Versioned", FIVE_STEPS)
    page.goto(f"{designer_server.url}/graphs/{graph_id}/")
    page.get_by_test_id("versions-tab").click()
    page.get_by_label("Version message").fill("five steps")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_test_id("version-1")).to_contain_text("five steps")

    page.get_by_test_id("node-evaluate").click()
    page.keyboard.press("Delete")
    expect(page.get_by_test_id("node-evaluate")).to_have_count(0)
    wait_saved(page)

    page.get_by_test_id("version-1").get_by_role("button", name="Compare with draft").click()
    expect(page.get_by_test_id("viewing-banner")).to_contain_text("Comparing version 1")
    expect(page.get_by_test_id("node-evaluate")).to_have_class(re.compile("diff-removed"))
    page.get_by_test_id("palette-ml.train_model@1").dblclick()  # read-only: nothing is added
    expect(page.locator(".react-flow__node-module")).to_have_count(5)

    page.get_by_test_id("diff-show").click()
    changes = page.get_by_test_id("diff-lines")  # v1 → draft, named by label
    expect(changes).to_contain_text("removed Evaluate model")
    expect(changes).to_contain_text("unwired Score model.dataset → Evaluate model.scored")

    page.once("dialog", lambda dialog: dialog.dismiss())  # Restore asks first
    page.get_by_role("button", name="Restore this version").click()
    expect(page.get_by_test_id("viewing-banner")).to_contain_text("Comparing version 1")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Restore this version").click()
    expect(page.get_by_test_id("viewing-banner")).to_have_count(0)
    expect(page.get_by_test_id("node-evaluate")).not_to_have_class(re.compile("diff-"))
    draft = api(page, designer_server, "GET", f"/api/graphs/{graph_id}/")["draft"]
    assert len(draft["nodes"]) == 5


def test_runs_started_elsewhere_show_up_live(alice: Page, designer_server: LiveServer) -> None:
    page = alice
    graph_id = create_graph(page, designer_server, "Watched", FIVE_STEPS)
    page.goto(f"{designer_server.url}/graphs/{graph_id}/")
    expect(page.get_by_test_id("node-data")).to_have_attribute("data-status", "idle")
    expect(page.get_by_test_id("editor")).to_have_attribute("data-live", "true")
    run = api(page, designer_server, "POST", f"/api/graphs/{graph_id}/runs/", {})
    expect(page.get_by_test_id("run-status")).to_contain_text(f"Run {run['id']}")
    wait_all(page, re.compile("succeeded|reused"))


def test_a_spreadsheet_export_uploads_in_its_own_dialect(
    alice: Page, designer_server: LiveServer, tmp_path: Path
) -> None:
    """A Windows-1252 file with semicolons and decimal commas reads as its text and numbers, the
    toast says how; a Cyrillic file reads right once its encoding is chosen."""
    page = alice
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/datasets/")
    german = tmp_path / "kunden.csv"
    german.write_bytes("Name;Stadt;Betrag\nJosé;Zürich;1,5\nRenée;Köln;-2,25\n".encode("cp1252"))
    page.get_by_test_id("dataset-file").set_input_files(german)
    expect(page.get_by_test_id("csv-choices")).to_be_visible()
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("toast").filter(has_text="Uploaded kunden")).to_contain_text(
        "read as Windows-1252, fields separated by semicolons, decimal commas"
    )
    page.get_by_test_id("dataset-list").locator("tr", has_text="kunden").get_by_role(
        "button", name="Preview"
    ).click()
    preview = page.get_by_test_id("dataset-preview")
    expect(preview.locator("thead th")).to_have_text(["Name", "Stadt", "Betrag"])
    expect(preview.locator("tbody tr").first.locator("td")).to_have_text(["José", "Zürich", "1.5"])

    russian = tmp_path / "города.csv"
    russian.write_bytes("имя;город\nИван;Москва\n".encode("cp1251"))  # noqa: RUF001
    page.get_by_label("Dataset name").fill("goroda")
    page.get_by_test_id("dataset-file").set_input_files(russian)
    page.get_by_label("Encoding").select_option("cp1251")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("toast").filter(has_text="Uploaded goroda")).to_contain_text(
        "read as Windows-1251"
    )
    expect(page.get_by_test_id("csv-choices")).to_be_hidden()  # the form is cleared
    page.get_by_test_id("dataset-list").locator("tr", has_text="goroda").get_by_role(
        "button", name="Preview"
    ).click()
    expect(preview.locator("tbody tr").first.locator("td")).to_have_text(["Иван", "Москва"])


def test_dataset_upload_and_preview(
    alice: Page, designer_server: LiveServer, tmp_path: Path
) -> None:
    page = alice
    csv = tmp_path / "loans.csv"
    csv.write_text(
        "amount,term,approved\n" + "\n".join(f"{1000 + i},{12 + i % 3},{i % 2}" for i in range(120))
    )
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/datasets/")
    page.get_by_label("Dataset name").fill("loans")
    page.get_by_test_id("dataset-file").set_input_files(csv)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("toast").filter(has_text="Uploaded loans")).to_be_visible()
    row = page.get_by_test_id("dataset-list").locator("tr", has_text="loans")
    expect(row).to_contain_text("120")
    expect(row.locator("td").nth(3)).to_have_text(re.compile(r"^(\d+\.\d KB|\d+ bytes)$"))
    # the form is cleared: it shows no file, and the Upload button waits for one
    assert page.get_by_test_id("dataset-file").evaluate("input => input.files.length") == 0
    expect(page.get_by_role("button", name="Upload")).to_be_disabled()
    row.get_by_role("button", name="Preview").click()
    expect(page.locator("h2", has_text="loans")).to_contain_text("120 rows")
    expect(page.locator("table").last.locator("thead th")).to_have_text(
        ["amount", "term", "approved"]
    )

    newer = tmp_path / "loans-march.csv"
    newer.write_text("amount,term,approved\n5,6,1\n")  # the same name again: a new version
    page.get_by_label("Dataset name").fill("loans")
    page.get_by_test_id("dataset-file").set_input_files(newer)
    expect(page.get_by_test_id("new-version-note")).to_contain_text("becomes version 2")
    page.get_by_role("button", name="Upload").click()
    expect(row.locator("td").nth(1)).to_have_text("1")  # the new version's rows ("120" has a 1)
    row.get_by_role("button", name="Preview").click()
    versions = page.get_by_test_id("dataset-version").locator("option")
    expect(versions).to_have_count(2)
    page.get_by_test_id("dataset-version").select_option(index=1)
    expect(page.locator("h2", has_text="loans")).to_contain_text("120 rows")


def test_a_wide_datasets_preview_pages_its_columns(
    alice: Page, designer_server: LiveServer, tmp_path: Path
) -> None:
    page = alice
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"x{i}" for i in range(150)) + "\n" + ",".join(map(str, range(150))))
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/datasets/")
    page.get_by_label("Dataset name").fill("wide")
    page.get_by_test_id("dataset-file").set_input_files(wide)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("toast").filter(has_text="Uploaded wide")).to_be_visible()
    page.get_by_test_id("dataset-list").locator("tr", has_text="wide").get_by_role(
        "button", name="Preview"
    ).click()
    preview = page.get_by_test_id("dataset-preview")
    expect(preview.locator("thead th")).to_have_count(100)
    expect(preview.get_by_test_id("columns-shown")).to_have_text("columns 1–100 of 150")  # noqa: RUF001
    preview.get_by_test_id("columns-next").click()
    expect(preview.locator("thead th")).to_have_count(50)
    expect(preview.locator("thead th").first).to_have_text("x100")
    expect(preview.locator("tbody td").last).to_have_text("149")
    preview.get_by_test_id("columns-previous").click()
    expect(preview.locator("thead th").first).to_have_text("x0")
