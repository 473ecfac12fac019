"""An endpoint's interface derived from a graph document, and the checks of a call."""

from __future__ import annotations

from typing import Any

from designer.endpoints.interface import check_inputs, check_parameters, derive


def node(node_id: str, module: str, label: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node_id, "module": module, "params": {}}
    if label:
        out["label"] = label
    return out


def document(*nodes: dict[str, Any], edges: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    return {
        "parameters": {"k": {"type": "int"}, "rate": {"type": "float", "default": 0.5}},
        "nodes": list(nodes),
        "edges": [
            {
                "id": f"e{i}",
                "source": {"node": s, "port": "dataset"},
                "target": {"node": t, "port": "dataset"},
            }
            for i, (s, t) in enumerate(edges)
        ],
    }


def test_inputs_and_outputs_are_named_by_label_or_node_id() -> None:
    derived, issues = derive(
        document(
            node("src", "data.enter_data@1"),
            node("a", "output.web_service_input@1", "Customer rows!"),
            node("b", "output.web_service_input@1"),
            node("c", "output.web_service_output@1", "2nd"),
            edges=(("src", "a"),),
        )
    )
    assert issues == []
    assert derived["inputs"] == [
        {"name": "customer_rows", "node": "a", "title": "Customer rows!", "required": False},
        {"name": "b", "node": "b", "title": "b", "required": True},
    ]
    assert derived["outputs"] == [{"name": "c", "node": "c", "port": "dataset", "title": "2nd"}]
    assert derived["parameters"]["k"]["required"] and not derived["parameters"]["rate"]["required"]


def test_duplicate_and_reserved_names_are_refused() -> None:
    _, issues = derive(
        document(
            node("a", "output.web_service_output@1", "Scores"),
            node("b", "output.web_service_output@1", "scores"),
            node("c", "output.web_service_input@1", "Parameters"),
        )
    )
    assert [(i["field"], i["code"]) for i in issues] == [
        ("nodes.c.label", "reserved_name"),
        ("nodes.b.label", "duplicate_name"),
    ]


def test_parameter_checks_name_every_problem() -> None:
    derived, _ = derive(document())
    issues = check_parameters(derived, {"rate": "high", "x": 1})
    assert [(i["field"], i["code"]) for i in issues] == [
        ("parameters.x", "unknown_parameter"),
        ("parameters.k", "required"),
        ("parameters.rate", "wrong_type"),
    ]
    assert check_parameters(derived, {"k": 3, "rate": 1}) == []
    assert check_parameters(derived, {"k": None})[0]["code"] == "wrong_type"
    assert check_parameters(derived, {"k": True})[0]["code"] == "wrong_type"
    assert check_parameters(derived, [])[0]["field"] == "parameters"


def test_input_checks() -> None:
    derived, _ = derive(document(node("a", "output.web_service_input@1", "Rows")))
    assert check_inputs(derived, {}, {"rows"}) == []
    [missing] = check_inputs(derived, {}, set())
    assert missing["code"] == "required" and missing["message"].endswith("send a file or a dataset")
    [scheduled] = check_inputs(derived, {}, None)  # a schedule's inputs: no file can be sent
    assert scheduled["message"] == "input 'rows' is required: choose a registered dataset"
    both = check_inputs(derived, {"rows": {"dataset": "d"}}, {"rows"})
    assert both[0]["code"] == "ambiguous"
    bad = check_inputs(derived, {"rows": {"dataset": "", "version": "abc", "x": 1}}, {"other"})
    assert sorted(i["field"] for i in bad) == [
        "inputs.other",
        "inputs.rows.dataset",
        "inputs.rows.version",
        "inputs.rows.x",
    ]
