"""Compacting a graph's shared state when its room empties, and tabs that come back holding the
retired generation (decision 0036), through the real socket."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from designer.graphs.shared_doc import doc_from_state, roots
from designer.realtime.protocol import CloseCode
from tests.integration.realtime.collab_client import CollabClient, unb64
from tests.integration.realtime.harness import Server
from tests.support import shared_edits as edits

SCRIPT = edits.SCRIPT
DOCUMENT: dict[str, Any] = {
    "schema_version": 1,
    "parameters": {},
    "nodes": [
        {"id": "n1", "module": "data.sample_dataset@1", "params": {}, "position": {"x": 0, "y": 0}},
        {"id": "s1", "module": SCRIPT, "params": {"code": "x = 1\n"}, "position": {"x": 0, "y": 0}},
    ],
    "edges": [],
    "comments": [{"id": "c1", "text": "a note", "position": {"x": 400, "y": 0}}],
}
# 4,000 edits by 100 tabs: ~90 KB of history, over 64 KiB and 8 times the rebuilt state
SESSIONS, EDITS = 100, 40


def draft(server: Server, graph: int) -> dict[str, Any]:
    return server.control("graph_draft", graph=graph)


async def idle(server: Server, graph: int) -> None:
    """Wait until the graph has no room open or closing on the server: a room that emptied has
    saved and decided on compaction by then."""
    deadline = time.monotonic() + 60
    while not server.control("room_idle", graph=graph)["idle"]:
        assert time.monotonic() < deadline, "the graph's room never closed"
        await asyncio.sleep(0.05)


@pytest.fixture
def graph(server: Server, team: dict[str, Any]) -> int:
    return server.control("create_graph", workspace=team["workspace"], document=DOCUMENT)["graph"]


@pytest.fixture
def grown(server: Server, graph: int) -> int:
    """A graph whose shared state holds a long history of moves."""
    server.control("grow_shared_state", graph=graph, node="n1", sessions=SESSIONS, edits=EDITS)
    return graph


async def test_a_room_that_empties_compacts_a_state_that_outgrew_its_draft(
    server: Server, team: dict, grown: int
) -> None:
    before = draft(server, grown)
    assert before["generation"] == 1 and before["state_bytes"] > 64 * 1024
    editor = await CollabClient.open(server, grown, team["users"]["editor"])
    assert editor.welcome["generation"] == 1
    await editor.change(lambda r: edits.set_param(r, "n1", "name", "iris"))
    await editor.saved()
    document = editor.document()
    revision = draft(server, grown)["revision"]
    await editor.close()
    await idle(server, grown)

    after = draft(server, grown)
    assert after["generation"] == 2 and after["retired"] == [1]
    assert after["state_bytes"] * 8 <= before["state_bytes"]
    assert after["draft"] == document and after["revision"] == revision
    fresh = await CollabClient.open(server, grown, team["users"]["owner"])
    assert fresh.welcome["generation"] == 2 and fresh.document() == document
    await fresh.close()


async def test_a_room_that_empties_with_a_small_state_keeps_it(
    server: Server, team: dict, graph: int
) -> None:
    editor = await CollabClient.open(server, graph, team["users"]["editor"])
    await editor.change(lambda r: edits.move(r, "n1", 5, 5))
    await editor.saved()
    before = draft(server, graph)
    await editor.close()
    await idle(server, graph)
    after = draft(server, graph)
    assert after["generation"] == 1 and after["retired"] == []
    assert after["state_bytes"] == before["state_bytes"] and after["draft"] == before["draft"]


def type_into_note(at: int, text: str) -> Any:
    return lambda r: r["comments"]["c1"]["text"].insert(at, text)


async def test_a_tab_on_the_old_generation_comes_back_and_its_offline_edits_merge(
    server: Server, team: dict, grown: int
) -> None:
    users = team["users"]
    tab = await CollabClient.open(server, grown, users["editor"])
    await tab.close()  # offline; the room empties and the state is compacted
    await idle(server, grown)
    assert draft(server, grown)["generation"] == 2

    # Offline edits on the old generation's copy: a new wired node, a move, a note typed into.
    with tab.doc.transaction():
        r = roots(tab.doc)
        edits.add_node(r, "n2_t", "transform.normalize@1", 200, 0)
        edits.wire(r, "e1_t", "n1", "n2_t")
        edits.move(r, "s1", 30, 40)
        type_into_note(0, "offline: ")(r)
    # Meanwhile someone on the new generation edits too, and stays.
    other = await CollabClient.open(server, grown, users["owner"])
    assert other.welcome["generation"] == 2
    await other.change(lambda r: edits.set_param(r, "n1", "name", "iris"))
    await other.change(type_into_note(6, " (kept)"))

    back = await CollabClient.open(server, grown, users["editor"], doc=tab.doc, generation=1)
    assert back.replaced and back.replaced[-1]["merged"] is True
    assert back.generation == 2
    # The tab's new copy shows nothing unsaved, so the draft holds what it carried over already.
    assert "n2_t" in {n["id"] for n in draft(server, grown)["draft"]["nodes"]}
    await back.saved()
    await other.wait_for(lambda: other.document() == back.document())
    saved = draft(server, grown)
    assert saved["draft"] == back.document() and saved["generation"] == 2
    nodes = {n["id"]: n for n in saved["draft"]["nodes"]}
    assert nodes["n1"]["params"] == {"name": "iris"}
    assert nodes["s1"]["position"] == {"x": 30, "y": 40}
    assert "n2_t" in nodes and [e["id"] for e in saved["draft"]["edges"]] == ["e1_t"]
    assert saved["draft"]["comments"][0]["text"] == "offline: a note (kept)"
    assert back.refusals == [] and other.refusals == []

    # After the replace, the tab edits on the new generation as usual.
    await back.change(lambda r: edits.move(r, "n2_t", 1, 2))
    await other.wait_for(
        lambda: any(n["position"] == {"x": 1, "y": 2} for n in other.document()["nodes"])
    )
    for client in (back, other):
        await client.close()


async def test_a_tab_older_than_the_kept_generation_is_refused_with_a_download(
    server: Server, team: dict, grown: int
) -> None:
    tab = await CollabClient.open(server, grown, team["users"]["editor"])
    await tab.close()
    await idle(server, grown)
    server.control("forget_retired", graph=grown)  # what pruning does after 30 days
    roots(tab.doc)["nodes"]["n1"]["position"] = {"x": 99, "y": 99}

    back = await CollabClient.open(
        server, grown, team["users"]["editor"], doc=tab.doc, generation=1, sync=False
    )
    await back.wait_for(lambda: len(back.refusals) == 1)
    assert back.refusals[0]["code"] == "generation_expired" and back.refusals[0]["download"]
    await asyncio.sleep(0.5)  # its step 2 (sent with the refusal) would be saved by now
    assert draft(server, grown)["draft"]["nodes"][0]["position"] != {"x": 99, "y": 99}
    await back.close()


async def test_a_copy_of_a_generation_compacted_elsewhere_is_let_into_a_room_still_on_the_old(
    server: Server, team: dict, grown: int
) -> None:
    """Another server process compacted the state while this one's room stays open (a viewer
    watches): a tab already on the new generation that connects here is let in at once (its room
    moves on to that generation), not refused as too old before the room's next merge."""
    users = team["users"]
    viewer = await CollabClient.open(server, grown, users["viewer"])
    compacted = server.control("compact_elsewhere", graph=grown, generation=1)
    copy = doc_from_state(unb64(compacted["state"]))

    tab = await CollabClient.open(server, grown, users["editor"], doc=copy, generation=2)
    assert tab.refusals == [] and tab.replaced == [] and tab.generation == 2
    await tab.change(lambda r: edits.set_param(r, "n1", "name", "iris"))
    await tab.saved()
    saved = draft(server, grown)
    assert saved["generation"] == 2 and saved["draft"] == tab.document()
    assert saved["draft"]["nodes"][0]["params"] == {"name": "iris"}
    # The room's other socket holds the old generation: it is asked to connect again.
    assert viewer.reader is not None
    await asyncio.wait_for(viewer.reader, 10)
    assert viewer.socket.close_code == CloseCode.RECONNECT
    again = await CollabClient.open(server, grown, users["viewer"], doc=viewer.doc, generation=1)
    assert again.generation == 2 and again.document() == tab.document()
    for client in (tab, again):
        await client.close()
