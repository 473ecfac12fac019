"""Structural diff of two graph documents: nodes, edges, params and pipeline parameters."""

from __future__ import annotations

from typing import Any

from designer.engine.hashing import same_json


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
