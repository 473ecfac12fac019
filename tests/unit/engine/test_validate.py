"""Validation: every problem in one pass, each with a stable code and a location."""

from __future__ import annotations

from typing import Any

import pytest

from designer.engine.issues import Issue
from designer.engine.registry import Registry
from designer.engine.schema import graph_to_dict, parse_graph
from designer.engine.validate import validate, validate_document
from tests.support.graphs import edge, graph, node

KITCHEN = {"needed": "yes"}


def issues_of(
    reg: Registry, doc: dict[str, Any], values: dict[str, Any] | None = None
) -> list[Issue]:
    return validate(parse_graph(doc), reg, values)


def codes(issues: list[Issue]) -> list[str]:
    return [i.code for i in issues]


def test_a_valid_graph_has_no_issues(reg: Registry) -> None:
    doc = graph(
        [node("a", "test.const@1", value=3), node("b", "test.add@1", amount=2)], [("a.out", "b.in")]
    )
    assert issues_of(reg, doc) == []


def test_unknown_module_version_and_bad_ref(reg: Registry) -> None:
    doc = graph([node("a", "test.nothing@1"), node("b", "test.const@7"), node("c", "test.const")])
    found = issues_of(reg, doc)
    assert codes(found) == ["unknown_module", "unknown_module_version", "invalid_module_ref"]
    assert [i.node for i in found] == ["a", "b", "c"]
    assert "available: 1" in found[1].message


def test_unknown_ports_and_incompatible_types(reg: Registry) -> None:
    doc = graph(
        [
            node("f", "test.frame@1"),
            node("m", "test.model@1"),
            node("h", "test.head@1"),
            node("g", "test.head@1"),
        ],
        [("f.nope", "h.dataset"), ("f.dataset", "h.nope"), ("m.out", "g.dataset")],
    )
    found = issues_of(reg, doc)
    assert codes(found) == ["unknown_port", "unknown_port", "incompatible_ports"]
    assert (found[0].node, found[0].port, found[0].edge) == ("f", "nope", "e1")
    assert (found[1].node, found[1].port, found[1].edge) == ("h", "nope", "e2")
    assert (found[2].node, found[2].port, found[2].edge) == ("g", "dataset", "e3")
    assert "Model" in found[2].message and "DataFrame" in found[2].message


def test_required_input_unconnected_and_two_edges_into_one_input(reg: Registry) -> None:
    doc = graph(
        [
            node("a", "test.const@1"),
            node("b", "test.const@1"),
            node("c", "test.add@1"),
            node("d", "test.add@1"),
        ],
        [("a.out", "c.in"), ("b.out", "c.in")],
    )
    found = issues_of(reg, doc)
    assert codes(found) == ["input_connected_twice", "required_input_unconnected"]
    assert (found[0].node, found[0].port, found[0].edge) == ("c", "in", "e2")
    assert (found[1].node, found[1].port) == ("d", "in")


def test_cycle_names_its_nodes_and_self_loop(reg: Registry) -> None:
    doc = graph(
        [
            node("a", "test.noop@1"),
            node("b", "test.noop2@1"),
            node("c", "test.noop@1"),
            node("s", "test.noop@1"),
        ],
        [("a.out", "b.a"), ("b.out", "c.in"), ("c.out", "a.in"), ("s.out", "s.in")],
    )
    found = issues_of(reg, doc)
    assert codes(found) == ["self_loop", "cycle"]
    assert found[0].node == "s"
    assert found[1].nodes == ("a", "b", "c")
    assert "`a` → `b` → `c` → `a`" in found[1].message


def test_duplicate_ids_and_dangling_edges(reg: Registry) -> None:
    doc = graph([node("a", "test.const@1"), node("a", "test.const@1"), node("b", "test.add@1")])
    doc["edges"] = [
        edge("e1", "a.out", "b.in"),
        edge("e1", "a.out", "b.in"),
        edge("e2", "ghost.out", "b.in"),
    ]
    found = issues_of(reg, doc)
    assert codes(found) == ["duplicate_node_id", "duplicate_edge_id", "dangling_edge"]
    assert found[2].edge == "e2" and found[2].node == "ghost"


def test_param_problems(reg: Registry) -> None:
    doc = graph(
        [
            node(
                "k",
                "test.kitchen@1",
                count=11,
                ratio="x",
                flag=1,
                color="blue",
                columns="a",
                label=["a"],
                bogus=2,
            ),
            node("m", "test.kitchen@1", count=2.5, seed=None, title=None, label="target"),
        ]
    )
    found = issues_of(reg, doc)
    got = [(i.code, i.node, i.param) for i in found]
    assert got == [
        ("param_unknown", "k", "bogus"),
        ("param_out_of_range", "k", "count"),
        ("param_wrong_type", "k", "ratio"),
        ("param_wrong_type", "k", "flag"),
        ("param_not_in_enum", "k", "color"),
        ("param_wrong_type", "k", "columns"),
        ("param_wrong_type", "k", "label"),  # one column's name: text
        ("param_missing", "k", "needed"),
        ("param_wrong_type", "m", "count"),
        ("param_wrong_type", "m", "title"),
        ("param_missing", "m", "needed"),
    ]
    assert "at most 10" in found[1].message


def test_pipeline_parameters(reg: Registry) -> None:
    params = {
        "n": {"type": "int", "default": 3},
        "r": {"type": "float", "default": "high"},
        "late": {"type": "int"},
    }
    doc = graph(
        [
            node(
                "k",
                "test.kitchen@1",
                count="$n",
                ratio="$r",
                title="$missing",
                needed="$$literal",
                seed="$late",
            )
        ],
        parameters=params,
    )
    design = issues_of(reg, doc)
    assert [(i.code, i.param) for i in design] == [
        ("pipeline_parameter_wrong_type", "r"),
        ("param_wrong_type", "ratio"),
        ("unknown_pipeline_parameter", "title"),
    ]
    run = issues_of(reg, doc, {"n": 50, "r": 0.5, "zzz": 1, "late": "x"})
    assert [(i.code, i.param) for i in run] == [
        ("pipeline_parameter_wrong_type", "r"),
        ("unknown_pipeline_parameter", "zzz"),
        ("pipeline_parameter_wrong_type", "late"),
        ("param_out_of_range", "count"),
        ("unknown_pipeline_parameter", "title"),
    ]
    assert "from pipeline parameter `n`" in run[3].message


def test_every_problem_in_one_pass(reg: Registry) -> None:
    doc = graph(
        [node("a", "test.nothing@1"), node("b", "test.add@1", amount="x"), node("b", "test.add@1")],
        [("a.out", "zz.in")],
    )
    assert codes(issues_of(reg, doc)) == [
        "unknown_module",
        "param_wrong_type",
        "duplicate_node_id",
        "dangling_edge",
        "required_input_unconnected",
    ]


@pytest.mark.parametrize(
    "data",
    [
        None,
        3,
        "x",
        [],
        {},
        {"schema_version": 2, "nodes": [], "edges": []},
        {"schema_version": 1, "nodes": [1], "edges": [{}]},
    ],
)
def test_broken_documents_give_issues_not_exceptions(reg: Registry, data: Any) -> None:
    graph_, found = validate_document(data, reg)
    assert graph_ is None and found
    assert all(isinstance(i, Issue) and i.code and i.message for i in found)


def test_issue_to_dict_leaves_out_empty_locations() -> None:
    issue = Issue("cycle", "nodes form a cycle", node="a", nodes=("a", "b"))
    assert issue.to_dict() == {
        "code": "cycle",
        "message": "nodes form a cycle",
        "node": "a",
        "nodes": ["a", "b"],
    }


def test_a_nodes_execution_limits_are_checked_and_kept(reg: Registry) -> None:
    bad = graph(
        [
            {**node("a", "test.const@1"), "execution": {"timeout": 0, "retries": -1}},
            {**node("b", "test.const@1"), "execution": {"timeout": "1h", "other": 1}},
        ]
    )
    _, found = validate_document(bad, reg)
    assert sorted((i.node, i.field) for i in found) == [
        ("a", "nodes[0].execution.retries"),
        ("a", "nodes[0].execution.timeout"),
        ("b", "nodes[1].execution.other"),
        ("b", "nodes[1].execution.timeout"),
    ]
    good = graph([{**node("a", "test.const@1"), "execution": {"timeout": 90, "retries": 2}}])
    assert graph_to_dict(parse_graph(good))["nodes"][0]["execution"] == {
        "timeout": 90.0,
        "retries": 2,
    }
    assert (
        "execution"
        not in graph_to_dict(parse_graph(graph([node("a", "test.const@1")])))["nodes"][0]
    )
