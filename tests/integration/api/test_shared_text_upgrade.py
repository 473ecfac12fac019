"""A shared state saved before texts were Y.Text keeps loading, and is upgraded by one writer."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Map, Text

from designer.graphs.analysis import parse_document
from designer.graphs.models import Graph
from designer.graphs.services import create_graph, etag, open_shared_state, save_draft
from designer.graphs.shared_doc import doc_from_state, document, roots
from designer.workspaces.models import Workspace
from tests.support.shared_edits import SCRIPT_AND_NOTE as DRAFT

pytestmark = pytest.mark.django_db


def old_state() -> bytes:
    """The state 0016's mapping saved: texts as plain strings."""
    doc = doc_from_state(None)
    r = roots(doc)
    r["nodes"]["n1"] = Map(
        {"module": "script.python@1", "params": Map({"code": "x = 1\n"}),
         "position": {"x": 0, "y": 0}, "order": 0}
    )  # fmt: skip
    r["comments"]["c1"] = Map({"text": "note", "position": {"x": 400, "y": 0}, "order": 0})
    return doc.get_update()


def graph_with_old_state() -> Graph:
    graph = create_graph(Workspace.objects.create(name="team"), None, "g", document=DRAFT)
    graph.shared_state = old_state()
    graph.save(update_fields=["shared_state"])
    return graph


def texts(state: bytes) -> list[Any]:
    r = roots(doc_from_state(state))
    return [r["nodes"]["n1"]["params"]["code"], r["comments"]["c1"]["text"]]


def test_opening_a_room_upgrades_an_old_state_once_and_the_draft_stays() -> None:
    graph = graph_with_old_state()
    state = open_shared_state(graph.pk).state
    assert all(isinstance(t, Text) for t in texts(state))
    graph.refresh_from_db()
    assert bytes(graph.shared_state) == state, "the upgrade is saved, by this one writer"
    assert document(doc_from_state(state)) == graph.draft == DRAFT
    assert graph.draft_revision == 1
    assert open_shared_state(graph.pk).state == state  # nothing left to upgrade: no second write


def test_a_rest_save_over_an_old_state_makes_its_texts_shared() -> None:
    graph = graph_with_old_state()
    changed = {**DRAFT, "comments": [{**DRAFT["comments"][0], "text": "note, edited"}]}
    save_draft(graph.pk, None, parse_document(changed), etag(graph))
    graph.refresh_from_db()
    assert all(isinstance(t, Text) for t in texts(bytes(graph.shared_state)))
    assert document(doc_from_state(bytes(graph.shared_state))) == graph.draft == changed
