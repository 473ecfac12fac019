"""What a new user meets on a first walk through the product, in a real browser: pages that stay in
a 1280-pixel window, problems said once and plainly, an SQL error marked on its own line, and
breadcrumbs and headings that read the same way everywhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import api
from tests.e2e.server import LiveServer
from tests.e2e.test_editor import create_graph
from tests.e2e.test_runs import finished

pytestmark = pytest.mark.e2e

SMALL = {"width": 1280, "height": 720}
LONG = (
    "Recommendation on synthetic restaurant ratings: an SVD recommender learns from four ratings "
    "in five, predicts the held-out ones (MAE, RMSE), ranks each user's held-out restaurants and "
    "suggests five restaurants each user has not rated yet, all in one run of the pipeline."
)


def one_node(module: str = "data.sample_dataset@1", **params: Any) -> dict[str, Any]:
    node = {"id": "data", "module": module, "params": params, "position": {"x": 0, "y": 0}}
    return {"schema_version": 1, "parameters": {}, "nodes": [node], "edges": [], "comments": []}


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def test_a_long_description_keeps_the_pipeline_list_in_the_window(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    body = {"name": "Restaurants", "description": LONG, "document": one_node()}
    graph = api(
        page, designer_server, "POST", f"/api/workspaces/{designer_server.workspace}/graphs/", body
    )["id"]
    page.set_viewport_size(SMALL)
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/")
    row = page.get_by_test_id(f"graph-row-{graph}")
    expect(row).to_contain_text("all in one run of the pipeline")
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
    delete = box(row.get_by_role("button", name="Delete"))
    assert delete["x"] + delete["width"] <= SMALL["width"], delete
    right = box(row)["x"] + box(row)["width"]
    assert right - 20 <= delete["x"] + delete["width"] <= right, (delete, right)  # at the right
    # the actions are a cell of the row: as tall as the row, so its border runs under them too
    assert box(row.locator("td.row-actions"))["height"] == pytest.approx(box(row)["height"], abs=1)


@pytest.mark.parametrize("width", [1024, 1280, 1920])
def test_the_editors_breadcrumbs_name_the_pipeline_in_every_window(
    alice: Page, designer_server: LiveServer, width: int
) -> None:
    page = alice
    name = "SQL and Python: loan approval"
    graph = create_graph(page, designer_server, name, one_node())
    page.set_viewport_size({"width": width, "height": 720})
    page.goto(f"{designer_server.url}/graphs/{graph}/")
    expect(page.get_by_test_id("editor")).to_have_attribute("data-synced", "true")
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    expect(crumbs.get_by_role("link", name="Research")).to_have_attribute("title", "Research")
    current = page.get_by_test_id("crumb-current")
    expect(current).to_have_attribute("title", name)  # the whole name, however much is shown
    shown, whole, cut = current.evaluate(
        "e => [e.clientWidth, e.scrollWidth, getComputedStyle(e).textOverflow]"
    )
    assert shown >= 80, (shown, whole)  # "SQL and Py…" at least
    assert whole <= shown or cut == "ellipsis", (shown, whole, cut)
    if width == 1920:
        assert whole <= shown, (shown, whole)
    sign_out = box(page.get_by_role("button", name="Sign out"))
    assert sign_out["x"] + sign_out["width"] <= width, sign_out  # the bar fits the window
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_nameless_workspace_is_refused_saying_so(
    alice: Page, designer_server: LiveServer
) -> None:
    alice.goto(f"{designer_server.url}/")
    alice.get_by_role("button", name="Create workspace").click()
    expect(alice.locator(".callout-error")).to_have_text("Name the new workspace first.")


def test_a_nameless_key_or_token_is_refused_saying_so(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    keys = f"/api/workspaces/{designer_server.workspace}/endpoint-keys/"
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/endpoints/")
    before = api(page, designer_server, "GET", keys)["count"]
    for name in ("", "   "):
        page.get_by_test_id("key-name").fill(name)
        page.get_by_test_id("create-key").click()
        expect(page.get_by_test_id("toast").last).to_contain_text(
            "Name the key first, to tell it apart in the keys list."
        )
    expect(page.get_by_test_id("new-key")).to_have_count(0)
    assert api(page, designer_server, "GET", keys)["count"] == before

    page.goto(f"{designer_server.url}/tokens/")
    tokens = api(page, designer_server, "GET", "/api/tokens/")["count"]
    page.get_by_test_id("create-token").click()
    expect(page.get_by_test_id("toast").last).to_contain_text(
        "Name the token first, to tell it apart in the tokens list."
    )
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    assert api(page, designer_server, "GET", "/api/tokens/")["count"] == tokens


def test_a_refused_upload_says_its_problem_once(alice: Page, designer_server: LiveServer) -> None:
    page = alice
    page.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/datasets/")
    name = page.get_by_label("Dataset name")
    expect(name).to_have_attribute("placeholder", "Name (empty: the file's name)")
    page.get_by_test_id("dataset-file").set_input_files(
        {"name": "rows.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}
    )
    name.fill("bad name!")
    page.get_by_role("button", name="Upload").click()
    toast = page.get_by_test_id("toast").filter(has_text="Use letters")
    expect(toast).to_be_visible()
    assert toast.inner_text().count("Use letters") == 1, toast.inner_text()


def test_the_versions_comparison_fits_the_sidebar_of_a_small_window(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    graph = create_graph(page, designer_server, "Versioned", one_node())
    api(page, designer_server, "POST", f"/api/graphs/{graph}/versions/", {"message": "first"})
    page.set_viewport_size(SMALL)
    page.goto(f"{designer_server.url}/graphs/{graph}/")
    page.get_by_test_id("versions-tab").click()
    sidebar = box(page.locator("aside.sidebar"))
    show = box(page.get_by_test_id("diff-show"))
    assert show["x"] + show["width"] <= sidebar["x"] + sidebar["width"], (show, sidebar)


def test_an_sql_error_is_marked_on_the_line_it_is_about(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    query = "SELECT target,\n  target * 2 AS twice\nFROM t1\nWHERE target > 0 AND\nORDER BY twice"
    doc = one_node(name="iris")
    doc["nodes"].append(
        {"id": "sql", "module": "transform.sql@1", "params": {"query": query}}
        | {"position": {"x": 0, "y": 200}}
    )
    doc["edges"] = [
        {"id": "e1", "source": {"node": "data", "port": "dataset"}}
        | {"target": {"node": "sql", "port": "t1"}}
    ]
    graph = create_graph(page, designer_server, "Broken query", doc)
    page.goto(f"{designer_server.url}/graphs/{graph}/")
    page.get_by_test_id("run-button").click()
    node = page.get_by_test_id("node-sql")
    expect(node).to_have_attribute("data-status", "failed", timeout=90_000)
    node.click()
    expect(page.get_by_test_id("step-error")).to_contain_text(
        'query: line 5: near "ORDER": syntax error'
    )
    expect(page.get_by_test_id("code-error-line")).to_have_text("ORDER BY twice")


def test_run_pages_read_from_the_workspaces_down_and_compare_older_to_newer(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    graph = create_graph(page, designer_server, "Twice", one_node(name="iris"))
    older = finished(page, designer_server, graph)["id"]
    newer = finished(page, designer_server, graph)["id"]
    page.goto(f"{designer_server.url}/runs/{newer}/")
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    expect(crumbs.get_by_role("link").first).to_have_text("Workspaces")
    # the step was reused: its empty log says so, and where its log is
    reused = page.get_by_test_id("log-reused")
    expect(reused).to_have_text(re.compile(r"^Reused: the step did not run in this run; its log "))
    expect(reused.get_by_role("link")).to_have_attribute("href", re.compile(r"^/runs/\d+/$"))
    page.goto(f"{designer_server.url}/runs/{newer}/compare/{older}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(rf"^Run {older} \(.*\) vs run {newer} \(")
    )
    expect(page.get_by_test_id("crumb-current")).to_have_text(f"Run {older} vs run {newer}")


def test_an_owner_is_not_offered_to_remove_themselves(
    alice: Page, designer_server: LiveServer
) -> None:
    alice.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/")
    members = alice.get_by_test_id("member-list")
    expect(
        members.locator("tr", has_text="bob").get_by_role("button", name="Remove")
    ).to_be_visible()
    expect(
        members.locator("tr", has_text="alice").get_by_role("button", name="Remove")
    ).to_have_count(0)
    expect(alice.get_by_test_id("leave-workspace")).to_be_visible()


def test_importing_a_file_that_is_not_json_says_so_in_words(
    alice: Page, designer_server: LiveServer
) -> None:
    alice.goto(f"{designer_server.url}/workspaces/{designer_server.workspace}/")
    expect(alice.get_by_test_id("create-graph")).to_be_visible()
    alice.locator("input[type=file][accept*=json]").set_input_files(
        {"name": "notes.json", "mimeType": "application/json", "buffer": b"hello"}
    )
    expect(alice.get_by_test_id("toast")).to_contain_text(
        "Import failed: notes.json is not JSON; choose a pipeline's Export or a graph document "
        "(.json)."
    )


def test_the_endpoint_pages_fields_look_like_every_other_field(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    graph = create_graph(page, designer_server, "Nightly", one_node())
    endpoint = api(
        page,
        designer_server,
        "POST",
        f"/api/workspaces/{designer_server.workspace}/endpoints/",
        {"name": "nightly-fields", "graph": graph},
    )
    page.goto(f"{designer_server.url}/endpoints/{endpoint['id']}/")
    scope = box(page.get_by_test_id("keys-panel").locator("select"))
    for field in ("key-name", "schedule-cron", "schedule-zone", "schedule-params"):
        found = box(page.get_by_test_id(field))
        assert found["height"] == pytest.approx(scope["height"], abs=1), (field, found, scope)


def test_run_on_an_empty_canvas_says_what_to_do_first_and_starts_nothing(
    alice: Page, designer_server: LiveServer
) -> None:
    empty = {"schema_version": 1, "parameters": {}, "nodes": [], "edges": [], "comments": []}
    graph = create_graph(alice, designer_server, "Empty", empty)
    alice.goto(f"{designer_server.url}/graphs/{graph}/")
    expect(alice.get_by_test_id("editor")).to_have_attribute("data-synced", "true")
    alice.get_by_test_id("run-button").click()
    expect(alice.get_by_test_id("toast")).to_contain_text(
        "Nothing to run yet: drag a module from the palette onto the canvas first."
    )
    assert api(alice, designer_server, "GET", f"/api/graphs/{graph}/runs/")["results"] == []
