"""Static schema inference: the columns each node's tables will have, before anything runs.

`infer_columns(graph, registry, infer)` walks the graph in dependency order and asks `infer`
(the module library's knowledge, given by the caller) what a node's outputs hold given its
params and its inputs' columns; an answer it does not have is None ("run upstream to list
columns"). A column is ``{"name": str, "dtype": str}`` (dtype "" when unknown). A fitted
transform's port carries a ColumnEffect instead: what the transform does to the columns of a
table it is applied to (decision 0070).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from designer.engine import params as P
from designer.engine.plan import PlanError, topological_order
from designer.engine.registry import Registry
from designer.engine.schema import Graph

Column = dict[str, str]
Columns = list[Column] | None


class ColumnEffect(TypedDict):
    """What a fitted transform does to a table's columns: those it removes, those it keeps in
    place with a new dtype, and those it appends after the table's own."""

    removes: list[str]
    changes: list[Column]
    appends: list[Column]


# a table port's columns, or a transform port's effect on columns; None: not known
Known = Columns | ColumnEffect
# (module name, resolved params, input port -> what it carries) -> output port -> the same
Infer = Callable[[str, Mapping[str, Any], Mapping[str, Known]], Mapping[str, Known] | None]


def _params(
    node_params: Mapping[str, Any], registry: Registry, module: str, pipeline: Mapping[str, Any]
) -> dict[str, Any]:
    spec = registry.get(module)
    out: dict[str, Any] = {}
    for pspec in spec.params if spec else ():
        if pspec.name in node_params:
            try:
                out[pspec.name] = P.resolve_value(node_params[pspec.name], pipeline)
            except KeyError:  # a reference to a pipeline parameter that does not exist
                out[pspec.name] = None
        elif not pspec.required:
            out[pspec.name] = P.default_value(pspec)
    return out


def infer_columns(graph: Graph, registry: Registry, infer: Infer) -> dict[str, dict[str, Known]]:
    """Node id -> output port -> its columns, or a transform port's effect on columns (None: not
    known before the upstream runs)."""
    pipeline = {name: p.default for name, p in graph.parameters.items()}
    wiring: dict[str, dict[str, tuple[str, str]]] = {n.id: {} for n in graph.nodes}
    for edge in graph.edges:
        if edge.target.node in wiring:
            wiring[edge.target.node][edge.target.port] = (edge.source.node, edge.source.port)
    nodes = {n.id: n for n in graph.nodes}
    edges = [
        (e.source.node, e.target.node)
        for e in graph.edges
        if e.source.node in nodes and e.target.node in nodes
    ]
    try:
        order = topological_order(list(nodes), edges)
    except PlanError:  # a cycle: nothing can be known
        return {}
    known: dict[str, dict[str, Known]] = {}
    for key in order:
        node = nodes[key]
        spec = registry.get(node.module)
        if spec is None:
            continue
        inputs: dict[str, Known] = {}
        for port in spec.inputs:
            source = wiring[key].get(port.name)
            inputs[port.name] = known.get(source[0], {}).get(source[1]) if source else None
        params = _params(node.params, registry, node.module, pipeline)
        try:
            answer = infer(spec.name, params, inputs) or {}
        except Exception:  # a guess that fails is no guess: the columns stay unknown
            answer = {}
        known[key] = {port.name: answer.get(port.name) for port in spec.outputs}
    return known
