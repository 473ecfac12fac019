"""Build graph documents tersely in tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def node(node_id: str, module: str, **params: Any) -> dict[str, Any]:
    """A node document with its params."""
    return {"id": node_id, "module": module, "params": params, "position": {"x": 0, "y": 0}}


def edge(edge_id: str, source: str, target: str) -> dict[str, Any]:
    """An edge document from "node.port" to "node.port"."""
    s_node, s_port = source.split(".")
    t_node, t_port = target.split(".")
    return {
        "id": edge_id,
        "source": {"node": s_node, "port": s_port},
        "target": {"node": t_node, "port": t_port},
    }


def graph(
    nodes: Iterable[dict[str, Any]],
    wires: Iterable[tuple[str, str]] = (),
    parameters: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A graph document; wires are ("a.out", "b.in") pairs, numbered e1, e2, …."""
    return {
        "schema_version": 1,
        "parameters": dict(parameters or {}),
        "nodes": list(nodes),
        "edges": [edge(f"e{i}", s, t) for i, (s, t) in enumerate(wires, 1)],
        "comments": [],
    }
