"""Carrying a returning copy's changes onto the current draft (designer/graphs/carry.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from designer.graphs.carry import carry, merge_text

SCRIPT = "script.python@1"  # its `code` is a code param: merged as text


def node(node_id: str, x: int = 0, module: str = "transform.normalize@1", **params: Any) -> dict:
    return {"id": node_id, "module": module, "params": params, "position": {"x": x, "y": 0}}


def edge(edge_id: str, source: str, target: str) -> dict:
    return {
        "id": edge_id,
        "source": {"node": source, "port": "out"},
        "target": {"node": target, "port": "in"},
    }


BASE: dict[str, Any] = {
    "schema_version": 1,
    "parameters": {"rate": {"type": "float", "default": 0.5, "description": ""}},
    "nodes": [node("n1"), node("n2", 100), node("s", 200, SCRIPT, code="a = 1\nb = 2\n")],
    "edges": [edge("e1", "n1", "n2")],
    "comments": [{"id": "c1", "text": "hello world", "position": {"x": 0, "y": 0}}],
}


def changed(document: dict[str, Any], change: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    change(out)
    return out


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def test_an_unchanged_copy_changes_nothing() -> None:
    ours = changed(BASE, lambda d: d["nodes"][0]["position"].update(x=7))
    assert carry(BASE, copy.deepcopy(BASE), ours) == ours


def test_adds_on_both_sides_are_kept_theirs_after_ours() -> None:
    theirs = changed(BASE, lambda d: d["nodes"].append(node("n3_t")))
    ours = changed(BASE, lambda d: d["nodes"].append(node("n3_o")))
    merged = carry(BASE, theirs, ours)
    assert [n["id"] for n in merged["nodes"]] == ["n1", "n2", "s", "n3_o", "n3_t"]


def test_a_move_and_a_param_edit_of_one_node_both_survive() -> None:
    theirs = changed(BASE, lambda d: d["nodes"][0]["position"].update(x=40))
    ours = changed(BASE, lambda d: d["nodes"][0]["params"].update(method="minmax"))
    merged = by_id(carry(BASE, theirs, ours)["nodes"])["n1"]
    assert merged["position"] == {"x": 40, "y": 0}
    assert merged["params"] == {"method": "minmax"}


def test_the_same_field_changed_on_both_sides_takes_the_returning_copys_value() -> None:
    theirs = changed(BASE, lambda d: d["nodes"][1]["position"].update(x=1))
    ours = changed(BASE, lambda d: d["nodes"][1]["position"].update(x=2))
    assert by_id(carry(BASE, theirs, ours)["nodes"])["n2"]["position"]["x"] == 1


def test_a_delete_wins_and_takes_its_wires_along() -> None:
    theirs = changed(BASE, lambda d: d["nodes"].pop(0))
    ours = changed(BASE, lambda d: d["nodes"][0]["position"].update(x=9))
    merged = carry(BASE, theirs, ours)
    assert [n["id"] for n in merged["nodes"]] == ["n2", "s"]
    assert merged["edges"] == []


def test_a_wire_added_to_a_node_the_other_side_deleted_is_left_out() -> None:
    theirs = changed(BASE, lambda d: d["edges"].append(edge("e2_t", "n2", "s")))
    ours = changed(BASE, lambda d: d["nodes"].pop(2))
    merged = carry(BASE, theirs, ours)
    assert [e["id"] for e in merged["edges"]] == ["e1"]


def test_wires_added_and_removed_carry_over() -> None:
    theirs = changed(BASE, lambda d: d["edges"].__setitem__(0, edge("e2_t", "n2", "s")))
    merged = carry(BASE, theirs, copy.deepcopy(BASE))
    assert [e["id"] for e in merged["edges"]] == ["e2_t"]


def test_param_set_and_removed_on_different_params() -> None:
    base = changed(BASE, lambda d: d["nodes"][0]["params"].update(a=1, b=2))
    theirs = changed(base, lambda d: d["nodes"][0]["params"].pop("a"))
    ours = changed(base, lambda d: d["nodes"][0]["params"].update(b=3, c=4))
    assert by_id(carry(base, theirs, ours)["nodes"])["n1"]["params"] == {"b": 3, "c": 4}


def test_pipeline_parameters_carry_over_per_name() -> None:
    theirs = changed(
        BASE, lambda d: d["parameters"].update(k={"type": "int", "default": 3, "description": ""})
    )
    ours = changed(BASE, lambda d: d["parameters"].pop("rate"))
    assert list(carry(BASE, theirs, ours)["parameters"]) == ["k"]


def test_code_typed_on_both_sides_keeps_both_edits() -> None:
    theirs = changed(BASE, lambda d: d["nodes"][2]["params"].update(code="a = 10\nb = 2\n"))
    ours = changed(BASE, lambda d: d["nodes"][2]["params"].update(code="a = 1\nb = 2\nc = 3\n"))
    merged = by_id(carry(BASE, theirs, ours)["nodes"])["s"]["params"]["code"]
    assert merged == "a = 10\nb = 2\nc = 3\n"


def test_comment_text_typed_on_both_sides_keeps_both_edits() -> None:
    theirs = changed(BASE, lambda d: d["comments"][0].update(text="hello brave world"))
    ours = changed(BASE, lambda d: d["comments"][0].update(text="hello world!", width=300))
    merged = carry(BASE, theirs, ours)["comments"][0]
    assert merged["text"] == "hello brave world!" and merged["width"] == 300


def test_a_plain_string_param_changed_on_both_sides_is_not_merged_as_text() -> None:
    base = changed(BASE, lambda d: d["nodes"][0]["params"].update(method="mean"))
    theirs = changed(base, lambda d: d["nodes"][0]["params"].update(method="max"))
    ours = changed(base, lambda d: d["nodes"][0]["params"].update(method="min"))
    assert by_id(carry(base, theirs, ours)["nodes"])["n1"]["params"]["method"] == "max"


@pytest.mark.parametrize(
    ("base", "theirs", "ours", "merged"),
    [
        ("abc", "abc", "abXc", "abXc"),
        ("abc", "aYbc", "abc", "aYbc"),
        ("abc", "Tabc", "abcO", "TabcO"),
        # overlapping: both versions of the span, ours first (deterministic, nothing dropped)
        ("abc", "aTc", "aOc", "aOTc"),
        ("abc", "abTc", "abOc", "abOTc"),  # both typed at one place
        ("abc", "abXc", "abXc", "abXc"),  # the same edit on both sides is taken once
        ("one two three", "one 2 three", "one two 3", "one 2 3"),
        ("", "theirs", "ours", "ourstheirs"),
        ("abcdef", "af", "abcXdef", "abcXdef"),  # a deletion around an insert keeps the insert
    ],
)
def test_text_merge(base: str, theirs: str, ours: str, merged: str) -> None:
    assert merge_text(base, theirs, ours) == merged
