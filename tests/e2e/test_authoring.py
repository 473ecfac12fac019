"""The editor's authoring gestures in a real browser: a module dropped on a wire goes into it, a
wire's end is dragged to another port, Run starts with one click, a refused run shows its issue,
the results the draft moved away from are marked, and the bottom panel keeps its size."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import api
from tests.e2e.server import LiveServer
from tests.e2e.test_editor import create_graph, wait_saved

pytestmark = pytest.mark.e2e


def node(node_id: str, module: str, x: int, y: int, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "module": module, "params": params, "position": {"x": x, "y": y}}


def edge(edge_id: str, source: str, target: str) -> dict[str, Any]:
    (s, sp), (t, tp) = source.split("."), target.split(".")
    return {"id": edge_id, "source": {"node": s, "port": sp}, "target": {"node": t, "port": tp}}


def document(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], **parameters: Any) -> Any:
    return {
        "schema_version": 1,
        "parameters": parameters,
        "nodes": nodes,
        "edges": edges,
        "comments": [],
    }


def wire_names(document: dict[str, Any]) -> list[str]:
    """A graph document's wires as "node.port>node.port", sorted."""
    return sorted(
        f"{e['source']['node']}.{e['source']['port']}>{e['target']['node']}.{e['target']['port']}"
        for e in document["edges"]
    )


def wires(page: Page) -> list[str]:
    """The page's document's wires (`wire_names`)."""
    return wire_names(page.evaluate("window.designerDocument()"))


def saved_wires(page: Page, server: LiveServer, graph: int) -> list[str]:
    """The saved draft's wires (`wire_names`), read through the API."""
    return wire_names(api(page, server, "GET", f"/api/graphs/{graph}/")["draft"])


def middle(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def wire_middle(page: Page, edge_id: str) -> tuple[float, float]:
    """A point on a wire: the middle of its curve (point-symmetric between two ports)."""
    path = f'.react-flow__edge[data-id="{edge_id}"] path.react-flow__edge-path'
    return middle(page.locator(path))


def height_of(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box
    return box["height"]


def drop_palette_item(page: Page, ref: str, at: tuple[float, float]) -> None:
    canvas = page.get_by_test_id("canvas").bounding_box()
    assert canvas
    page.get_by_test_id(f"palette-{ref}").drag_to(
        page.get_by_test_id("canvas"),
        target_position={"x": at[0] - canvas["x"], "y": at[1] - canvas["y"]},
    )


def drag_mouse(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=6)
    page.mouse.move(*end, steps=6)
    page.mouse.up()


def test_insert_on_a_wire_refuse_and_reconnect_a_wire_end(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    doc = document(
        [
            node("data", "data.sample_dataset@1", 0, 0, name="iris"),
            node("train", "ml.train_model@1", 0, 420, label="target"),
            node("score", "ml.score_model@1", 320, 420),
            node("loose", "transform.split_rows@1", 420, 0),
        ],
        [edge("e1", "data.dataset", "train.dataset")],
    )
    graph = create_graph(page, designer_server, "Wiring", doc)
    page.goto(f"{designer_server.url}/graphs/{graph}/")
    expect(page.get_by_test_id("editor")).to_have_attribute("data-synced", "true")

    # A module that cannot sit in the wire is refused, saying why, and lands beside it unwired.
    drop_palette_item(page, "ml.evaluate_model@1", wire_middle(page, "e1"))
    refused = page.get_by_test_id("toast").filter(has_text="Cannot put Evaluate model")
    expect(refused).to_be_visible()
    expect(page.locator('.module-node[data-module="ml.evaluate_model@1"]')).to_have_count(1)
    assert wires(page) == ["data.dataset>train.dataset"]
    page.keyboard.press("Delete")  # the new module is selected

    # A palette module dropped on the wire splits it through its matching ports: one undo step.
    drop_palette_item(page, "transform.normalize@1", wire_middle(page, "e1"))
    added = page.locator('.module-node[data-module="transform.normalize@1"]')
    new = str(added.get_attribute("data-testid")).removeprefix("node-")
    assert wires(page) == [f"data.dataset>{new}.dataset", f"{new}.dataset>train.dataset"]
    page.get_by_test_id("undo").click()
    assert wires(page) == ["data.dataset>train.dataset"]
    expect(added).to_have_count(0)

    # A module already on the canvas without wires, dragged onto the wire, goes into it too.
    loose = middle(page.get_by_test_id("node-loose").locator(".module-title"))
    drag_mouse(page, loose, wire_middle(page, "e1"))
    assert wires(page) == ["data.dataset>loose.dataset", "loose.train>train.dataset"]

    # A wire's end dragged from one input to another moves the wire (the same id, new target).
    to_train = page.evaluate(
        "window.designerDocument().edges.find(e => e.target.node === 'train').id"
    )
    end = page.locator(f'.react-flow__edge[data-id="{to_train}"] .react-flow__edgeupdater-target')
    drag_mouse(page, middle(end), middle(page.get_by_test_id("in-score-dataset")))
    assert wires(page) == ["data.dataset>loose.dataset", "loose.train>score.dataset"]
    wait_saved(page)
    saved = api(page, designer_server, "GET", f"/api/graphs/{graph}/")["draft"]
    assert [e["id"] for e in saved["edges"] if e["target"]["node"] == "score"] == [to_train]


def test_one_click_run_stale_marks_limits_and_panel_size(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    doc = document(
        [
            node("data", "data.sample_dataset@1", 0, 0, name="iris"),
            node("split", "transform.split_rows@1", 0, 180),
            node("again", "transform.split_rows@1", 0, 360),
        ],
        [edge("e1", "data.dataset", "split.dataset"), edge("e2", "split.train", "again.dataset")],
    )
    graph = create_graph(page, designer_server, "One click", doc)
    page.goto(f"{designer_server.url}/graphs/{graph}/")
    expect(page.get_by_test_id("editor")).to_have_attribute("data-synced", "true")

    # Shift-click asks first (parameters, cache, a preview); a plain click runs at once.
    page.get_by_test_id("run-button").click(modifiers=["Shift"])
    expect(page.get_by_test_id("run-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("run-dialog")).to_have_count(0)
    page.get_by_test_id("run-button").click()
    expect(page.get_by_test_id("run-dialog")).to_have_count(0)
    for key in ("data", "split", "again"):  # reused when another test ran the same steps first
        expect(page.get_by_test_id(f"node-{key}")).to_have_attribute(
            "data-status", re.compile("^(succeeded|reused)$"), timeout=90_000
        )

    # Limits are saved with the node and change no result; a param edit outdates it and below.
    page.get_by_test_id("node-split").locator(".module-title").click()
    page.get_by_test_id("execution-limits").locator("summary").click()
    page.locator("#param-split-limit-timeout").fill("30")
    wait_saved(page)
    draft = api(page, designer_server, "GET", f"/api/graphs/{graph}/")["draft"]
    assert next(n for n in draft["nodes"] if n["id"] == "split")["execution"] == {"timeout": 30}
    expect(page.locator(".module-node[data-stale]")).to_have_count(0)
    page.locator("#param-split-fraction").fill("0.4")
    expect(page.get_by_test_id("node-split")).to_have_attribute("data-stale", "edited")
    expect(page.get_by_test_id("node-again")).to_have_attribute("data-stale", "upstream")
    expect(page.get_by_test_id("node-again").get_by_test_id("node-stale")).to_have_text(
        "out of date"
    )
    expect(page.get_by_test_id("node-data")).not_to_have_attribute("data-stale", re.compile("."))
    page.get_by_test_id("undo").click()  # back to what ran: nothing is out of date
    expect(page.locator(".module-node[data-stale]")).to_have_count(0)

    # The logs panel opened with the run: drag its top edge, step it with the keys, reload.
    panel = page.locator(".bottom-panel")
    before = height_of(panel)
    resizer = page.get_by_test_id("panel-resizer")
    x, y = middle(resizer)
    drag_mouse(page, (x, y), (x, y - 150))
    resizer.focus()
    page.keyboard.press("ArrowDown")
    height = round(before) + 150 - 24
    expect(resizer).to_have_attribute("aria-valuenow", str(height))
    assert abs(height_of(panel) - height) <= 2
    page.reload()
    page.get_by_test_id("open-logs").click()
    expect(page.get_by_test_id("panel-resizer")).to_have_attribute("aria-valuenow", str(height))
    assert abs(height_of(page.locator(".bottom-panel")) - height) <= 2


def test_cannot_run_closes_the_dialog_and_focuses_the_issue(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    doc = document(
        [
            node("data", "data.sample_dataset@1", 0, 0, name="iris"),
            node("train", "ml.train_model@1", 0, 200, label="target"),
        ],
        [edge("e1", "data.dataset", "train.dataset")],
        seed={"type": "int", "default": 1, "description": "A seed"},
    )
    graph = create_graph(page, designer_server, "Cannot run", doc)
    page.goto(f"{designer_server.url}/graphs/{graph}/")
    expect(page.get_by_test_id("editor")).to_have_attribute("data-synced", "true")

    page.get_by_test_id("run-button").click()  # the graph has a parameter: the dialog asks for it
    expect(page.get_by_test_id("run-dialog")).to_be_visible()
    page.get_by_test_id("run-confirm").click()
    expect(page.get_by_test_id("toast").filter(has_text="Cannot run")).to_be_visible()
    expect(page.get_by_test_id("run-dialog")).to_have_count(0)
    issue = page.get_by_test_id("issues-panel").locator(".issue-link", has_text="Train model")
    expect(issue).to_be_focused()
    expect(issue).to_contain_text("model")
    expect(page.get_by_test_id("node-train")).to_have_class(re.compile(r"\bselected\b"))
