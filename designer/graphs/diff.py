"""Structural diff of two graph documents: nodes, edges, params and pipeline parameters."""

from __future__ import annotations

from typing import Any

from designer.engine.hashing import same_json
from designer.engine.schema import closed_object as obj


def _changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Keys added, removed and changed between two flat mappings."""
    return {
        "added": {k: new[k] for k in new.keys() - old.keys()},
        "removed": {k: old[k] for k in old.keys() - new.keys()},
        "changed": {
            k: {"from": old[k], "to": new[k]}
            for k in old.keys() & new.keys()
            if not same_json(old[k], new[k])
        },
    }


def _edge_key(edge: dict[str, Any]) -> tuple[str, str, str, str]:
    s, t = edge["source"], edge["target"]
    return (s["node"], s["port"], t["node"], t["port"])


def _node_change(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    change: dict[str, Any] = {"id": new["id"]}
    if old["module"] != new["module"]:
        change["module"] = {"from": old["module"], "to": new["module"]}
    params = _changes(old.get("params", {}), new.get("params", {}))
    if any(params.values()):
        change["params"] = params
    if not same_json(old.get("label"), new.get("label")):
        change["label"] = {"from": old.get("label"), "to": new.get("label")}
    if not same_json(old.get("execution"), new.get("execution")):
        change["execution"] = {"from": old.get("execution"), "to": new.get("execution")}
    if not same_json(old.get("position"), new.get("position")):
        change["moved"] = {"from": old.get("position"), "to": new.get("position")}
    return change if len(change) > 1 else None


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Return what changed from `old` to `new`; edges are compared by their endpoints."""
    old_nodes = {n["id"]: n for n in old.get("nodes", [])}
    new_nodes = {n["id"]: n for n in new.get("nodes", [])}
    changed = [
        c
        for node_id in sorted(old_nodes.keys() & new_nodes.keys())
        if (c := _node_change(old_nodes[node_id], new_nodes[node_id])) is not None
    ]
    old_edges = {_edge_key(e): e for e in old.get("edges", [])}
    new_edges = {_edge_key(e): e for e in new.get("edges", [])}
    parameters = _changes(old.get("parameters", {}), new.get("parameters", {}))
    comments = _changes(
        {c["id"]: c for c in old.get("comments", [])}, {c["id"]: c for c in new.get("comments", [])}
    )
    return {
        "nodes": {
            "added": [new_nodes[k] for k in sorted(new_nodes.keys() - old_nodes.keys())],
            "removed": [old_nodes[k] for k in sorted(old_nodes.keys() - new_nodes.keys())],
            "changed": changed,
        },
        "edges": {
            "added": [new_edges[k] for k in sorted(new_edges.keys() - old_edges.keys())],
            "removed": [old_edges[k] for k in sorted(old_edges.keys() - new_edges.keys())],
        },
        "parameters": parameters,
        "comments": {k: sorted(v) for k, v in comments.items()},
    }


def diff_schemas(ref: str = "#/components/schemas/") -> dict[str, dict[str, Any]]:
    """What diff_documents answers, as OpenAPI 3.0 schema objects referring to the graph
    document's (`GraphNode`, `GraphEdge`, `ParamValue`…) as `ref` + name."""

    def to(name: str) -> dict[str, str]:
        return {"$ref": ref + name}

    def change(value: dict[str, Any], what: str) -> dict[str, Any]:
        return obj({"from": value, "to": value}, ["from", "to"], f"{what}: before and after.")

    def keyed(value: dict[str, Any], changed: str, what: str) -> dict[str, Any]:
        by_name = {"type": "object", "additionalProperties": value}
        return obj(
            {
                "added": by_name,
                "removed": by_name,
                "changed": {"type": "object", "additionalProperties": to(changed)},
            },
            ["added", "removed", "changed"],
            f"{what} added, removed and changed, by name.",
        )

    def optional(name: str) -> dict[str, Any]:  # absent on one side
        return {"oneOf": [to(name), {"enum": [None]}]}

    nodes = {"type": "array", "items": to("GraphNode")}
    edges = {"type": "array", "items": to("GraphEdge")}
    changes = {"type": "array", "items": to("NodeChange")}
    ids = {"type": "array", "items": {"type": "string"}}
    return {
        "ParamChange": change(to("ParamValue"), "A node param"),
        "ParamsDiff": keyed(to("ParamValue"), "ParamChange", "A node's params"),
        "ParameterChange": change(to("PipelineParameter"), "A pipeline parameter"),
        "ParametersDiff": keyed(to("PipelineParameter"), "ParameterChange", "Pipeline parameters"),
        "NodeChange": obj(
            {
                "id": {"type": "string"},
                "module": change({"type": "string"}, "The module ref"),
                "params": to("ParamsDiff"),
                "label": change({"type": "string", "nullable": True}, "The label"),
                "execution": change(optional("Execution"), "The node's limits"),
                "moved": change(optional("Position"), "The position"),
            },
            ["id"],
            "A node in both: what changed (only the parts that did are present).",
        ),
        "NodesDiff": obj(
            {"added": nodes, "removed": nodes, "changed": changes},
            ["added", "removed", "changed"],
            "Nodes added, removed (whole) and changed, by id.",
        ),
        "EdgesDiff": obj(
            {"added": edges, "removed": edges},
            ["added", "removed"],
            "Wires added and removed (a wire is its two ends).",
        ),
        "CommentsDiff": obj(
            {"added": ids, "removed": ids, "changed": ids},
            ["added", "removed", "changed"],
            "The ids of the comments added, removed and changed.",
        ),
    }
