"""Compiler and plan: resolved params, wiring, order, subsets, exact JSON round trip."""

from __future__ import annotations

import json

import pytest

from designer.engine.compile import CompileError, compile_document
from designer.engine.plan import Plan, PlanError
from designer.engine.registry import Registry
from tests.support.graphs import graph, node

DIAMOND = graph(
    [
        node("d", "test.join@1"),
        node("b", "test.add@1", amount="$step"),
        node("a", "test.const@1", value=1),
        node("c", "test.add@1"),
        node("x", "test.const@1", value=9),
    ],
    [("a.out", "b.in"), ("a.out", "c.in"), ("b.out", "d.a"), ("c.out", "d.b")],
    parameters={"step": {"type": "int", "default": 2}},
)


def test_plan_resolves_params_fills_defaults_and_orders_topologically(reg: Registry) -> None:
    plan = compile_document(DIAMOND, reg, {"step": 5})
    assert plan.order == ("a", "b", "c", "d", "x")  # document order breaks ties
    b, c, d = plan.step("b"), plan.step("c"), plan.step("d")
    assert b.params == {"amount": 5}
    assert c.params == {"amount": 1}  # default filled in
    assert d.dependencies == ("b", "c")
    assert [(w.port, w.source_step, w.source_port) for w in d.inputs] == [
        ("a", "b", "out"),
        ("b", "c", "out"),
    ]
    assert plan.parameters == {"step": 5}
    assert b.module == "test.add@1" and b.implementation == "tests.support.modules:add"
    assert len(b.implementation_digest) == 64 and b.deterministic
    assert plan.target == ("all", None)


def test_defaults_of_pipeline_parameters_apply(reg: Registry) -> None:
    assert compile_document(DIAMOND, reg).step("b").params == {"amount": 2}


def test_float_params_are_normalized_and_literals_unescaped(reg: Registry) -> None:
    doc = graph([node("k", "test.kitchen@1", ratio=1, needed="$$x", columns=["a"])])
    params = compile_document(doc, reg).step("k").params
    assert params["ratio"] == 1.0 and isinstance(params["ratio"], float)
    assert params["needed"] == "$x"
    assert params["columns"] == ["a"] and params["seed"] is None


def test_invalid_graph_raises_compile_error_with_every_issue(reg: Registry) -> None:
    doc = graph([node("a", "test.nothing@1"), node("b", "test.add@1")])
    with pytest.raises(CompileError) as info:
        compile_document(doc, reg)
    assert [i.code for i in info.value.issues] == ["unknown_module", "required_input_unconnected"]
    with pytest.raises(CompileError) as info:
        compile_document({"nodes": 1}, reg)
    assert info.value.issues


def test_json_round_trip_is_exact(reg: Registry) -> None:
    for plan in (
        compile_document(DIAMOND, reg),
        compile_document(DIAMOND, reg, run_from="b"),
        compile_document(DIAMOND, reg, run_only="d"),
    ):
        data = plan.to_dict()
        again = Plan.from_dict(json.loads(json.dumps(data)))
        assert again == plan
        assert again.to_dict() == data
        assert Plan.from_json(plan.to_json()) == plan


def test_plan_is_immutable(reg: Registry) -> None:
    plan = compile_document(DIAMOND, reg)
    plan.step("b").params["amount"] = 100
    assert plan.step("b").params == {"amount": 2}
    with pytest.raises(AttributeError):
        plan.step("b").module = "x"  # type: ignore[misc]


def test_run_from_forces_node_and_downstream_and_keeps_needed_upstream(reg: Registry) -> None:
    plan = compile_document(DIAMOND, reg, run_from="b")
    assert plan.target == ("from", "b")
    assert {s.key: s.mode for s in plan.steps} == {"a": "auto", "b": "run", "c": "auto", "d": "run"}


def test_run_only_takes_what_it_needs_upstream(reg: Registry) -> None:
    plan = compile_document(DIAMOND, reg, run_only="b")
    assert {s.key: s.mode for s in plan.steps} == {"a": "auto", "b": "run"}


def test_subset_of_an_unknown_node(reg: Registry) -> None:
    with pytest.raises(CompileError) as info:
        compile_document(DIAMOND, reg, run_from="zz")
    assert info.value.issues[0].code == "unknown_node"
    with pytest.raises(PlanError):
        compile_document(DIAMOND, reg).run_only("zz")


def test_malformed_plan_documents_raise_plan_error(reg: Registry) -> None:
    data = compile_document(DIAMOND, reg).to_dict()
    for broken in (
        {**data, "plan_version": 9},
        {**data, "order": ["x"]},
        {**data, "steps": [{"key": "a"}]},
        {**data, "target": {"mode": "sideways", "node": None}},
        {**data, "steps": list(reversed(data["steps"]))},
    ):
        with pytest.raises(PlanError):
            Plan.from_dict(broken)
