"""The graph layer's bridge to the engine: parse, validate and compile documents."""

from __future__ import annotations

from typing import Any

from designer.api_errors import ApiError, problem_count
from designer.engine.compile import CompileError, compile_graph
from designer.engine.plan import Plan
from designer.engine.schema import (
    SCHEMA_VERSION,
    Graph,
    GraphFormatError,
    graph_to_dict,
    parse_graph,
)
from designer.engine.validate import validate
from designer.graphs.modules import module_registry


def empty_document() -> dict[str, Any]:
    """A new graph's draft: no nodes."""
    return {
        "schema_version": SCHEMA_VERSION,
        "parameters": {},
        "nodes": [],
        "edges": [],
        "comments": [],
    }


def parse_document(document: Any) -> Graph:
    """Parse a graph document, or answer 400 naming every structural problem."""
    try:
        return parse_graph(document)
    except GraphFormatError as exc:
        raise ApiError(
            400,
            "invalid_document",
            f"The graph document is malformed ({problem_count(exc.issues)}): {exc}",
            [i.to_dict() for i in exc.issues],
        ) from exc


def canonical_document(document: Any) -> dict[str, Any]:
    """The canonical JSON form of a well-formed document (400 when malformed)."""
    return graph_to_dict(parse_document(document))


def validation_issues(document: Any) -> list[dict[str, Any]]:
    """The engine's issues for a document (modules, wiring, params, cycles)."""
    return graph_issues(parse_document(document))


def graph_issues(graph: Graph) -> list[dict[str, Any]]:
    """The engine's issues for a parsed document."""
    return [i.to_dict() for i in validate(graph, module_registry())]


def compile_document(document: Any) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The engine's (issues, plan) for a document at design time; the plan is None on issues."""
    try:
        plan = compile_graph(parse_document(document), module_registry())
    except CompileError as exc:
        return [i.to_dict() for i in exc.issues], None
    return [], plan.to_dict()


def with_node_params(
    document: dict[str, Any], changes: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A copy of a document whose named nodes have some params replaced (400 for unknown nodes)."""
    nodes = {node["id"]: node for node in document["nodes"]}
    unknown = sorted(set(changes) - set(nodes))
    if unknown:
        raise ApiError(
            400,
            "unknown_node",
            f"The graph has no node {', '.join(unknown)}.",
            [{"code": "unknown_node", "message": f"no node `{n}`", "node": n} for n in unknown],
        )
    return {
        **document,
        "nodes": [
            {**node, "params": {**node.get("params", {}), **changes[node["id"]]}}
            if node["id"] in changes
            else node
            for node in document["nodes"]
        ],
    }


def plan_for_run(
    document: Any,
    parameters: dict[str, Any],
    *,
    run_from: str | None = None,
    run_only: str | None = None,
) -> Plan:
    """Compile a document for a run, or answer 400 with every issue that stops it running."""
    try:
        return compile_graph(
            parse_document(document),
            module_registry(),
            parameters,
            run_from=run_from,
            run_only=run_only,
        )
    except CompileError as exc:
        raise ApiError(
            400,
            "invalid_graph",
            f"The graph cannot run ({problem_count(exc.issues)}): {exc}",
            [i.to_dict() for i in exc.issues],
        ) from exc


def node_labels(document: Any) -> dict[str, str]:
    """Each node's name as people see it: its label, else its module's display name, else its id."""
    registry = module_registry()
    labels: dict[str, str] = {}
    for node in document.get("nodes", []) if isinstance(document, dict) else []:
        spec = registry.get(str(node.get("module")))
        labels[node["id"]] = node.get("label") or (spec.display_name if spec else node["id"])
    return labels
