"""The graph document ⇄ Y document mapping (designer/graphs/shared_doc.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Map, Text

from designer.engine.schema import graph_to_dict, parse_graph
from designer.graphs.shared_doc import (
    SharedDocError,
    WatchedDoc,
    doc_from_state,
    document,
    roots,
    upgrade_text,
    write_document,
)

SCRIPT = "script.python@1"  # its `code` is a code param: shared text

ids = st.text("abcn0123456789_", min_size=1, max_size=6)
numbers = st.integers(-5000, 5000) | st.floats(-1e6, 1e6, allow_nan=False).map(
    lambda f: round(f, 3)
)
values = st.none() | st.booleans() | numbers | st.text(max_size=8) | st.lists(st.text(max_size=4))
position = st.fixed_dictionaries({"x": numbers, "y": numbers})
executions = st.fixed_dictionaries(
    {}, optional={"timeout": st.integers(1, 7200) | st.just(0.5), "retries": st.integers(0, 10)}
)


@st.composite
def documents(draw: Any) -> dict[str, Any]:
    node_ids = draw(st.lists(ids, unique=True, max_size=6))
    nodes = []
    for node_id in node_ids:
        node = {
            "id": node_id,
            "module": draw(st.sampled_from(["data.sample_dataset@1", "ml.train_model@1", SCRIPT])),
            "params": draw(st.dictionaries(st.text("abcdef", min_size=1, max_size=4), values)),
            "position": draw(position),
        }
        if node["module"] == SCRIPT and draw(st.booleans()):
            node["params"]["code"] = draw(st.text(max_size=12))
        if draw(st.booleans()):
            node["label"] = draw(st.text(max_size=10))
        if draw(st.booleans()):
            node["execution"] = draw(executions)
        nodes.append(node)
    edges = []
    if node_ids:
        for index in range(draw(st.integers(0, 4))):
            source, target = draw(st.sampled_from(node_ids)), draw(st.sampled_from(node_ids))
            edges.append(
                {
                    "id": f"e{index}",
                    "source": {"node": source, "port": "a"},
                    "target": {"node": target, "port": "b"},
                }
            )
    comments = [
        {"id": f"c{i}", "text": draw(st.text(max_size=10)), "position": draw(position)}
        | ({"width": 200} if draw(st.booleans()) else {})
        for i in range(draw(st.integers(0, 2)))
    ]
    parameters = draw(
        st.dictionaries(
            st.text("xyz", min_size=1, max_size=3),
            st.fixed_dictionaries(
                {"type": st.just("float"), "default": numbers, "description": st.text(max_size=5)}
            ),
        )
    )
    raw = {
        "schema_version": 1,
        "parameters": parameters,
        "nodes": nodes,
        "edges": edges,
        "comments": comments,
    }
    return graph_to_dict(parse_graph(raw))


def normalized(doc: dict[str, Any]) -> dict[str, Any]:
    """The canonical document with parameters in name order (a Y map has no order)."""
    return {**doc, "parameters": dict(sorted(doc["parameters"].items()))}


@settings(max_examples=150, deadline=None)
@given(documents())
def test_a_document_round_trips_through_a_y_document(graph: dict[str, Any]) -> None:
    doc = doc_from_state(None)
    write_document(doc, graph)
    assert document(doc) == normalized(graph)
    assert document(doc_from_state(doc.get_update())) == normalized(graph)


@settings(max_examples=150, deadline=None)
@given(documents(), documents())
def test_writing_a_document_over_another_gives_exactly_it(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    doc = doc_from_state(None)
    write_document(doc, first)
    write_document(doc, second)
    assert document(doc) == normalized(second)


def test_writing_changes_only_the_fields_that_differ() -> None:
    graph = {
        "schema_version": 1,
        "parameters": {},
        "edges": [],
        "comments": [],
        "nodes": [
            {"id": "n1", "module": "m@1", "params": {"a": 1, "b": 2}, "position": {"x": 0, "y": 0}}
        ],
    }
    doc = doc_from_state(None)
    write_document(doc, graph)
    mover = doc_from_state(doc.get_update())  # another editor's copy, before the change
    changed = {**graph, "nodes": [{**graph["nodes"][0], "params": {"a": 1, "b": 3}}]}
    watched = WatchedDoc(doc.get_update())
    write_document(watched.doc, changed)
    assert watched.touched["nodes"] == {"n1"}
    doc = watched.doc
    # A concurrent move of n1 by the other editor survives this param change, and vice versa.
    roots(mover)["nodes"]["n1"]["position"] = {"x": 50, "y": 60}
    doc.apply_update(mover.get_update())
    node = document(doc)["nodes"][0]
    assert node["params"] == {"a": 1, "b": 3} and node["position"] == {"x": 50, "y": 60}


def test_a_wire_to_a_deleted_node_is_left_out() -> None:
    doc = doc_from_state(None)
    r = roots(doc)
    r["nodes"]["n1"] = Map(
        {"module": "m@1", "params": Map(), "position": {"x": 0, "y": 0}, "order": 0}
    )
    r["edges"]["e1"] = {
        "source": {"node": "n1", "port": "a"},
        "target": {"node": "gone", "port": "b"},
        "order": 0,
    }
    assert document(doc)["edges"] == []


@pytest.mark.parametrize(
    "entry, problem",
    [
        (
            {"module": "m@1", "params": Map(), "position": {"x": "far", "y": 0}, "order": 0},
            "nodes[0].position.x",
        ),
        ({"params": Map(), "position": {"x": 0, "y": 0}, "order": 0}, "nodes[0].module"),
        (
            {"module": "m@1", "params": {"plain": 1}, "position": {"x": 0, "y": 0}, "order": 0},
            "nodes.n1.params: expected a Y.Map",
        ),
        ({"module": "m@1", "params": Map(), "position": {"x": 0, "y": 0}}, "nodes.n1.order"),
    ],
)
def test_a_malformed_entry_is_named(entry: dict[str, Any], problem: str) -> None:
    watched = WatchedDoc(None)
    watched.roots["nodes"]["n1"] = Map(entry)
    with pytest.raises(SharedDocError) as error:
        watched.check()
    assert any(problem in issue.message for issue in error.value.issues), error.value.issues


def test_limits_removed_from_a_node_are_removed_from_the_y_document() -> None:
    node = {"id": "n1", "module": "m@1", "params": {}, "position": {"x": 0, "y": 0}}
    graph = {"schema_version": 1, "parameters": {}, "edges": [], "comments": []}
    limited = graph_to_dict(
        parse_graph({**graph, "nodes": [{**node, "execution": {"timeout": 60, "retries": 2}}]})
    )
    doc = doc_from_state(None)
    write_document(doc, limited)
    assert document(doc)["nodes"][0]["execution"] == {"timeout": 60.0, "retries": 2}
    write_document(doc, {**graph, "nodes": [node]})
    assert "execution" not in document(doc)["nodes"][0]


def script_graph(code: str, note: str) -> dict[str, Any]:
    node = {"id": "n1", "module": SCRIPT, "params": {"code": code}, "position": {"x": 0, "y": 0}}
    comment = {"id": "c1", "text": note, "position": {"x": 0, "y": 0}}
    return graph_to_dict(
        parse_graph(
            {
                "schema_version": 1,
                "parameters": {},
                "nodes": [node],
                "edges": [],
                "comments": [comment],
            }
        )
    )


def texts(doc: Doc) -> tuple[Any, Any]:
    r = roots(doc)
    return r["nodes"]["n1"]["params"]["code"], r["comments"]["c1"]["text"]


def test_code_params_and_comment_text_are_shared_text() -> None:
    doc = doc_from_state(None)
    write_document(doc, script_graph("x = 1\n", "a note"))
    code, note = texts(doc_from_state(doc.get_update()))
    assert isinstance(code, Text) and isinstance(note, Text)
    assert document(doc)["nodes"][0]["params"]["code"] == "x = 1\n"
    assert document(doc)["comments"][0]["text"] == "a note"


def test_a_rest_save_of_a_text_keeps_what_someone_types_meanwhile() -> None:
    """write_document edits the changed span only: a concurrent typist's characters survive."""
    doc = doc_from_state(None)
    write_document(doc, script_graph("def run():\n    return 1\n", "todo: 😀 check"))
    typist = doc_from_state(doc.get_update())
    code, note = texts(typist)
    code.insert(0, "# mine\n")
    note.insert(len("todo: 😀".encode()), "😀")  # pycrdt counts UTF-8 bytes
    write_document(doc, script_graph("def run():\n    return 2\n", "todo: 😀 check twice"))
    doc.apply_update(typist.get_update())
    typist.apply_update(doc.get_update())
    assert document(doc) == document(typist)
    assert document(doc)["nodes"][0]["params"]["code"] == "# mine\ndef run():\n    return 2\n"
    assert document(doc)["comments"][0]["text"] == "todo: 😀😀 check twice"


def test_plain_strings_of_an_old_state_are_upgraded_to_shared_text_once() -> None:
    doc = doc_from_state(None)
    r = roots(doc)
    r["nodes"]["n1"] = Map(
        {
            "module": SCRIPT,
            "params": Map({"code": "x = 1", "timeout": 30}),
            "position": {"x": 0, "y": 0},
            "order": 0,
        }
    )
    r["comments"]["c1"] = Map({"text": "old", "position": {"x": 0, "y": 0}, "order": 0})
    before = document(doc)
    assert upgrade_text(doc)
    assert all(isinstance(t, Text) for t in texts(doc))
    assert document(doc) == before
    assert not upgrade_text(doc)


@pytest.mark.parametrize("where", ["code", "comment"])
def test_a_plain_string_replacing_shared_text_is_refused(where: str) -> None:
    """It would replace the Y.Text, and with it what others are typing into it."""
    doc = doc_from_state(None)
    write_document(doc, script_graph("x = 1", "note"))
    watched = WatchedDoc(doc.get_update())
    if where == "code":
        watched.roots["nodes"]["n1"]["params"]["code"] = "x = 2"
        problem = "nodes.n1.params.code: expected a Y.Text"
    else:
        watched.roots["comments"]["c1"]["text"] = "other"
        problem = "comments.c1.text: expected a Y.Text"
    with pytest.raises(SharedDocError) as error:
        watched.check()
    assert any(problem in issue.message for issue in error.value.issues), error.value.issues
