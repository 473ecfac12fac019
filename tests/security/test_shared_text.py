"""Typing into a co-edited script or comment is an edit like any other: a viewer's is refused.

Against a real Daphne: a viewer's forged Y.Text inserts and deletes (in a script's code and a
comment's text) are refused and reach nobody and nothing saved; an editor may not replace a
shared text by a plain string either (that would wipe what everyone else is typing into it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.realtime.collab_client import CollabClient
from tests.integration.realtime.harness import Server
from tests.support.live import live_server
from tests.support.shared_edits import SCRIPT_AND_NOTE


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with live_server() as live:
        yield live


def new_graph(server: Server, workspace: int) -> int:
    return int(
        server.control("create_graph", workspace=workspace, document=SCRIPT_AND_NOTE)["graph"]
    )


def code(r: Any) -> Any:
    return r["nodes"]["n1"]["params"]["code"]


def note(r: Any) -> Any:
    return r["comments"]["c1"]["text"]


def test_a_viewers_typing_is_refused_and_never_saved(server: Server) -> None:
    team = server.control("team", members={"editor": "editor", "viewer": "viewer"})
    graph = new_graph(server, team["workspace"])

    async def check() -> None:
        editor = await CollabClient.open(server, graph, team["users"]["editor"])
        viewer = await CollabClient.open(server, graph, team["users"]["viewer"])
        await viewer.change(lambda r: code(r).insert(0, "import os; os.system('x')\n"))
        await viewer.change(lambda r: note(r).__delitem__(slice(0, 4)))
        await viewer.wait_for(lambda: len(viewer.refusals) == 2)
        assert {r["code"] for r in viewer.refusals} == {"forbidden"}
        await editor.change(lambda r: code(r).insert(0, "# ok\n"))  # a save, had it been taken
        await editor.saved()
        saved = server.control("graph_draft", graph=graph)["draft"]
        assert saved["nodes"][0]["params"]["code"] == "# ok\nx = 1\n"
        assert saved["comments"][0]["text"] == "note"
        assert editor.document() == saved
        for client in (editor, viewer):
            await client.close()

    asyncio.run(check())


@pytest.mark.parametrize("field", ["code", "note"])
def test_replacing_a_shared_text_by_a_plain_string_is_refused(server: Server, field: str) -> None:
    team = server.control("team", members={"editor": "editor"})
    graph = new_graph(server, team["workspace"])

    def replace(r: Any) -> None:
        if field == "code":
            r["nodes"]["n1"]["params"]["code"] = "wiped"
        else:
            r["comments"]["c1"]["text"] = "wiped"

    async def check() -> None:
        editor = await CollabClient.open(server, graph, team["users"]["editor"])
        await editor.change(replace)
        await editor.wait_for(lambda: len(editor.refusals) == 1)
        assert editor.refusals[0]["code"] == "invalid_update"
        assert any("expected a Y.Text" in issue for issue in editor.refusals[0]["issues"])
        assert (
            server.control("graph_draft", graph=graph)["draft"]["comments"]
            == SCRIPT_AND_NOTE["comments"]
        )
        await editor.close()

    asyncio.run(check())
