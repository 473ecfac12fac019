"""Co-editing in real browsers: two editors and a viewer on one graph, presence, refusals, offline.

Each page's document is read with `window.designerDocument()` (what its canvas shows); every
page and the saved draft must end up identical.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect
from pycrdt import Map

from designer.graphs.shared_doc import doc_from_state, roots
from tests.e2e.conftest import api, new_context, sign_in
from tests.e2e.server import ROOT, LiveServer
from tests.e2e.test_editor import create_graph, drag_from_palette, node_id, wait_saved, wire
from tests.support.shared_edits import SCRIPT_AND_NOTE

pytestmark = pytest.mark.e2e

TWO_NODES: dict[str, Any] = {
    "schema_version": 1,
    "parameters": {},
    "nodes": [
        {"id": "data", "module": "data.sample_dataset@1", "params": {"name": "iris"},
         "position": {"x": 0, "y": 0}},
        {"id": "split", "module": "transform.split_rows@1", "params": {},
         "position": {"x": 0, "y": 220}},
    ],
    "edges": [],
    "comments": [],
}  # fmt: skip


@pytest.fixture
def pages(browser: Browser, designer_server: LiveServer) -> Iterator[dict[str, Page]]:
    """alice (owner), bob (editor) and carol (viewer), each in a browser profile of their own."""
    contexts = [new_context(browser) for _ in range(3)]
    pages = {
        name: sign_in(context, designer_server, name)
        for name, context in zip(["alice", "bob", "carol"], contexts, strict=True)
    }
    errors: list[str] = []
    for page in pages.values():
        page.on("pageerror", lambda error: errors.append(str(error)))
    yield pages
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the pages: {errors}"


class Cable:
    """A page's co-editing socket, routed through Playwright so that a test can cut it (the page
    then sees its socket close and every reconnect fail) and mend it again."""

    def __init__(self, page: Page) -> None:
        self.up = True
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        page.route_web_socket(re.compile(r"/ws/graphs/\d+/edit/"), self.route)

    def route(self, socket: WebSocketRoute) -> None:
        if not self.up:
            socket.close(code=1001, reason="offline")  # going away: the page retries
            return
        self.open.append((socket, socket.connect_to_server()))

    def cut(self) -> None:
        """Close both ends, the server's and the page's (as a network that went down does)."""
        self.up = False
        for page_end, server_end in self.open:
            server_end.close()  # a browser's WebSocket.close() takes 1000 or 3000-4999 only
            page_end.close(code=1001, reason="offline")
        self.open.clear()

    def mend(self) -> None:
        self.up = True


def open_graph(page: Page, server: LiveServer, graph_id: int) -> Cable:
    cable = Cable(page)
    page.goto(f"{server.url}/graphs/{graph_id}/")
    expect(page.get_by_test_id("editor")).to_have_attribute("data-synced", "true")
    return cable


def document(page: Page) -> Any:
    return page.evaluate("() => window.designerDocument()")


def converged(pages: list[Page], server: LiveServer, graph_id: int) -> dict[str, Any]:
    """Wait until every page shows the same document and it is the saved draft; return it."""
    for page in pages:
        wait_saved(page)
    first = pages[0]
    deadline = time.monotonic() + 10
    while any(document(page) != document(first) for page in pages[1:]):
        assert time.monotonic() < deadline, [document(page) for page in pages]
        first.wait_for_timeout(100)
    shown = document(first)
    saved = api(first, server, "GET", f"/api/graphs/{graph_id}/")["draft"]
    assert saved == shown, "the saved draft must be what every page shows"
    return shown


def test_two_editors_and_a_viewer_converge_with_presence_and_refusals(
    pages: dict[str, Page], designer_server: LiveServer
) -> None:
    alice, bob, carol = pages["alice"], pages["bob"], pages["carol"]
    graph_id = create_graph(alice, designer_server, "Together", TWO_NODES)
    cables = {name: open_graph(page, designer_server, graph_id) for name, page in pages.items()}

    # Presence: who is here, what they selected, where their pointer is.
    expect(bob.get_by_test_id("avatar-alice")).to_be_visible()
    expect(bob.get_by_test_id("avatar-carol")).to_be_visible()
    alice.get_by_test_id("node-data").click()
    expect(bob.get_by_test_id("node-data")).to_have_attribute("data-selected-by", "alice")
    expect(bob.get_by_test_id("inspector-others")).to_have_count(0)
    bob.get_by_test_id("node-data").click()
    expect(bob.get_by_test_id("inspector-others")).to_contain_text("alice is editing this node")
    box = alice.get_by_test_id("canvas").bounding_box()
    assert box
    alice.mouse.move(box["x"] + 300, box["y"] + 300)
    alice.mouse.move(box["x"] + 320, box["y"] + 310)
    expect(bob.get_by_test_id("pointer-alice")).to_be_visible()

    # Concurrent edits of the same node: alice moves it and wires it, bob edits a param and adds a
    # module; then alice deletes it while bob renames it. All pages converge.
    drag_from_palette(alice, "transform.normalize@1", 500, 120)
    drag_from_palette(bob, "ml.train_model@1", 650, 420)
    bob.get_by_test_id("node-data").click()  # his new module took the selection
    node = alice.get_by_test_id("node-data")
    start = node.bounding_box()
    assert start
    alice.mouse.move(start["x"] + 60, start["y"] + 30)
    alice.mouse.down()
    bob.locator("#label-data").fill("Iris data")
    alice.mouse.move(start["x"] + 160, start["y"] + 60, steps=6)
    alice.mouse.up()
    wire(alice, "out-data-dataset", "in-split-dataset")
    shown = converged([alice, bob, carol], designer_server, graph_id)
    data = next(n for n in shown["nodes"] if n["id"] == "data")
    assert data["label"] == "Iris data" and data["position"] != {"x": 0, "y": 0}
    assert {n["module"] for n in shown["nodes"]} >= {"transform.normalize@1", "ml.train_model@1"}
    assert [(e["source"]["node"], e["target"]["node"]) for e in shown["edges"]] == [
        ("data", "split")
    ]

    # Truly at the same time: bob's socket is cut while he renames the node alice deletes.
    cables["bob"].cut()
    bob.get_by_test_id("node-data").click()
    bob.locator("#label-data").fill("Renamed meanwhile")
    alice.get_by_test_id("node-data").click()
    alice.keyboard.press("Delete")
    wait_saved(alice)
    cables["bob"].mend()
    shown = converged([alice, bob, carol], designer_server, graph_id)
    assert "data" not in {n["id"] for n in shown["nodes"]} and shown["edges"] == []

    # The viewer sees all of it, cannot edit in the page, and the server refuses what it sends.
    expect(carol.get_by_test_id(f"node-{node_id(alice, 'ml.train_model@1')}")).to_be_visible()
    expect(carol.get_by_test_id("palette-data.sample_dataset@1")).to_have_class(
        re.compile("disabled")
    )
    carol.get_by_test_id("palette-data.sample_dataset@1").dblclick()  # read-only: nothing added
    assert refused_by_server(carol, graph_id) == "forbidden"
    alice.wait_for_timeout(600)  # a save, had the edit been taken
    assert "evil" not in {
        n["id"] for n in converged([alice, bob, carol], designer_server, graph_id)["nodes"]
    }


def forged_update() -> str:
    """A Yjs update adding a node, made outside any page (base64)."""
    doc = doc_from_state(None)
    roots(doc)["nodes"]["evil"] = Map(
        {"module": "data.sample_dataset@1", "params": Map(), "position": {"x": 0, "y": 0},
         "order": 99}
    )  # fmt: skip
    return base64.b64encode(doc.get_update()).decode()


def refused_by_server(page: Page, graph_id: int) -> str:
    """Send a forged edit on a socket of the page's own session; return the refusal's code."""
    return str(
        page.evaluate(
            """([graph, update]) => new Promise((resolve, reject) => {
                const url = `ws://${location.host}/ws/graphs/${graph}/edit/`;
                const ws = new WebSocket(url, ["designer.v1"]);
                ws.onmessage = (e) => {
                  const message = JSON.parse(e.data);
                  if (message.type === "collab.welcome") {
                    ws.send(JSON.stringify({ type: "collab.update", data: { update } }));
                  } else if (message.type === "collab.refused") {
                    ws.close();
                    resolve(message.data.code);
                  }
                };
                ws.onclose = () => reject(new Error("closed without a refusal"));
              })""",
            [graph_id, forged_update()],
        )
    )


def test_an_editor_offline_keeps_editing_and_everything_merges_when_back(
    pages: dict[str, Page], designer_server: LiveServer
) -> None:
    alice, bob = pages["alice"], pages["bob"]
    graph_id = create_graph(alice, designer_server, "Offline", TWO_NODES)
    open_graph(alice, designer_server, graph_id)
    cable = open_graph(bob, designer_server, graph_id)

    cable.cut()
    expect(bob.get_by_test_id("editor")).to_have_attribute("data-synced", "false")
    bob.get_by_test_id("palette-ml.train_model@1").dblclick()
    bob.get_by_test_id("node-split").click()
    bob.locator("#param-split-seed").fill("7")
    expect(bob.get_by_test_id("save-status")).to_contain_text("Offline: your edits are kept")
    expect(bob.get_by_test_id("offline-banner")).to_be_visible()
    alice.get_by_test_id("node-split").click()
    alice.locator("#param-split-fraction").fill("0.3")
    alice.get_by_test_id("palette-transform.normalize@1").dblclick()
    wait_saved(alice)

    cable.mend()
    expect(bob.get_by_test_id("offline-banner")).to_be_hidden(timeout=15_000)
    shown = converged([alice, bob], designer_server, graph_id)
    split = next(n for n in shown["nodes"] if n["id"] == "split")
    assert split["params"]["seed"] == 7 and split["params"]["fraction"] == 0.3
    assert {n["module"] for n in shown["nodes"]} >= {"transform.normalize@1", "ml.train_model@1"}

    bob.reload()  # nothing shown as saved is lost
    expect(bob.get_by_test_id("editor")).to_have_attribute("data-synced", "true")
    assert document(bob) == shown


def shows_code(page: Page, condition: str) -> None:
    """Wait until the page's document holds a script code (`code`) meeting `condition` (JS)."""
    page.wait_for_function(
        f"() => (code => {condition})(window.designerDocument().nodes[0].params.code)"
    )


def test_two_people_typing_in_one_script_and_one_note_keep_every_keystroke(
    pages: dict[str, Page], designer_server: LiveServer
) -> None:
    alice, bob = pages["alice"], pages["bob"]
    graph_id = create_graph(alice, designer_server, "Typing together", SCRIPT_AND_NOTE)
    for page in (alice, bob):
        open_graph(page, designer_server, graph_id)
        page.get_by_test_id("node-n1").click()
        page.locator("#param-n1-code").click()
    alice.keyboard.press("Control+End")  # alice types at the end, bob at the start
    bob.keyboard.press("Control+Home")
    for a, b in zip("y = 2  # alice", "# bob was here", strict=True):  # keystrokes interleaved
        alice.keyboard.type(a)
        bob.keyboard.type(b)
    expect(bob.locator(".cm-ySelectionInfo")).to_have_text("alice")  # her cursor, in her colour
    code = "# bob was here" + "x = 1\n" + "y = 2  # alice"

    notes = {page: page.get_by_test_id("comment-c1") for page in (alice, bob)}
    for page, note in notes.items():
        note.dblclick()
        note.locator("textarea").press("Control+End" if page is alice else "Control+Home")
    for a, b in zip(" by alice", "bob says ", strict=True):
        notes[alice].locator("textarea").press_sequentially(a)
        notes[bob].locator("textarea").press_sequentially(b)
    note = "bob says " + "note" + " by alice"
    for box in notes.values():
        expect(box.locator("textarea")).to_have_value(note)
    shown = converged([alice, bob], designer_server, graph_id)
    assert shown["nodes"][0]["params"]["code"] == code
    assert shown["comments"][0]["text"] == note

    # Undo is personal: bob's Ctrl+Z takes back his last typing, never what alice typed since.
    notes[bob].locator("textarea").press_sequentially("!!")
    expect(notes[alice].locator("textarea")).to_have_value("bob says !!note by alice")
    notes[alice].locator("textarea").press_sequentially("?")
    expect(notes[bob].locator("textarea")).to_have_value("bob says !!note by alice?")
    notes[bob].locator("textarea").press("Control+z")  # his last typing: "!!" (and what came
    mine_undone = re.compile(r"^(bob says )?note by alice\?$")  # within the second before it)
    expect(notes[bob].locator("textarea")).to_have_value(mine_undone)
    for page in (alice, bob):
        page.get_by_test_id("node-n1").click()
    bob.locator("#param-n1-code").click()
    bob.keyboard.press("Control+Home")
    bob.keyboard.type("zz")
    shows_code(alice, "code.startsWith('zz# bob')")
    alice.locator("#param-n1-code").click()
    alice.keyboard.press("Control+End")
    alice.keyboard.type("!")
    shows_code(bob, "code.endsWith('# alice!')")
    bob.locator("#param-n1-code").press("Control+z")
    shows_code(bob, "!code.includes('zz')")
    shown = converged([alice, bob], designer_server, graph_id)
    assert re.fullmatch(
        r"(# bob was here)?x = 1\ny = 2  # alice!", shown["nodes"][0]["params"]["code"]
    )
    assert mine_undone.match(shown["comments"][0]["text"])


_GROW = """
import json, sys
import django
django.setup()
from tests.integration.realtime.control import grow_shared_state
graph, node, sessions, edits = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
row = grow_shared_state(graph, node, sessions, edits)
print(json.dumps({"generation": row["generation"], "bytes": row["state_bytes"]}))
"""


def shared_state(server: LiveServer, graph_id: int, grow: tuple[str, int, int] = ("", 0, 0)) -> Any:
    """The graph's shared state generation and size, after `grow` (node, tabs, edits each): a
    long editing history written as rooms save it (in a process of its own, on the same data)."""
    node, sessions, edits = grow
    out = subprocess.run(
        [sys.executable, "-c", _GROW, str(graph_id), node or "-", str(sessions), str(edits)],
        cwd=ROOT,
        env=server.env(),
        check=True,
        capture_output=True,
    )
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def test_an_editor_offline_across_a_compaction_comes_back_and_its_edit_is_merged(
    pages: dict[str, Page], designer_server: LiveServer
) -> None:
    alice, bob = pages["alice"], pages["bob"]
    graph_id = create_graph(alice, designer_server, "Compacted", TWO_NODES)
    grown = shared_state(designer_server, graph_id, ("data", 100, 40))
    assert grown["generation"] == 1 and grown["bytes"] > 64 * 1024
    cable = open_graph(bob, designer_server, graph_id)

    cable.cut()  # bob's room empties: the state is compacted while he is away
    deadline = time.monotonic() + 60
    while shared_state(designer_server, graph_id)["generation"] == 1:
        assert time.monotonic() < deadline, "the state was never compacted"
        bob.wait_for_timeout(200)
    bob.get_by_test_id("node-split").click()
    bob.locator("#param-split-seed").fill("7")
    expect(bob.get_by_test_id("save-status")).to_contain_text("Offline: your edits are kept")
    open_graph(alice, designer_server, graph_id)  # on the compacted state
    alice.get_by_test_id("node-split").click()
    alice.locator("#param-split-fraction").fill("0.3")
    wait_saved(alice)

    cable.mend()
    expect(bob.get_by_test_id("toast").filter(has_text="merged")).to_be_visible(timeout=15_000)
    expect(bob.get_by_test_id("offline-banner")).to_be_hidden()
    shown = converged([alice, bob], designer_server, graph_id)
    split = next(n for n in shown["nodes"] if n["id"] == "split")
    assert split["params"]["seed"] == 7 and split["params"]["fraction"] == 0.3
    assert shared_state(designer_server, graph_id)["generation"] == 2
    bob.reload()  # nothing shown as saved is lost
    expect(bob.get_by_test_id("editor")).to_have_attribute("data-synced", "true")
    assert document(bob) == shown
