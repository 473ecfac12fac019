"""The compiler: a valid graph + registry + pipeline parameter values → an immutable Plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from designer.engine import params as P
from designer.engine.hashing import canonical_json
from designer.engine.heap import collector_paused
from designer.engine.issues import Issue
from designer.engine.plan import InputWire, OutputPort, Plan, PlanError, Step
from designer.engine.registry import Registry
from designer.engine.schema import Graph, GraphFormatError, parse_graph
from designer.engine.validate import check


class CompileError(ValueError):
    """The graph cannot be compiled; `issues` names every problem."""

    def __init__(self, issues: list[Issue]):
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


def compile_graph(
    graph: Graph,
    registry: Registry,
    parameter_values: Mapping[str, Any] | None = None,
    *,
    run_from: str | None = None,
    run_only: str | None = None,
) -> Plan:
    """Validate and compile `graph`; raise CompileError with every issue if it cannot run.

    `parameter_values` are this run's pipeline parameter values (defaults fill the rest).
    `run_from` / `run_only` return the corresponding subset plan (see plan.Plan.run_from).
    Validation runs once: the compiler builds on its specs, values and topological order, and
    makes each step once, in plan order (the cyclic garbage collector paused meanwhile).
    """
    with collector_paused():
        return _compile(graph, registry, dict(parameter_values or {}), run_from, run_only)


def _compile(
    graph: Graph,
    registry: Registry,
    values: dict[str, Any],
    run_from: str | None,
    run_only: str | None,
) -> Plan:
    checked = check(graph, registry, values)
    issues = checked.issues
    if run_from is not None and run_only is not None:
        issues.append(Issue("invalid_target", "choose either run from a node or run only a node"))
    for key in (run_from, run_only):
        if key is not None and graph.node(key) is None:
            issues.append(
                Issue("unknown_node", f"there is no node `{key}` in this pipeline", node=key)
            )
    if issues:
        raise CompileError(issues)
    resolved = checked.values
    rank = {key: i for i, key in enumerate(checked.order)}
    wiring: dict[str, dict[str, tuple[str, str]]] = {n.id: {} for n in graph.nodes}
    for edge in graph.edges:
        wiring[edge.target.node][edge.target.port] = (edge.source.node, edge.source.port)
    nodes = {node.id: node for node in graph.nodes}
    steps = []
    for key in checked.order:
        node, spec = nodes[key], checked.specs[key]
        params: dict[str, Any] = {}
        for pspec in spec.params:
            if pspec.name in node.params:
                value = P.resolve_value(node.params[pspec.name], resolved)
            else:
                value = P.default_value(pspec)
            params[pspec.name] = P.normalize(pspec, value)
        wired = wiring[key]
        inputs = tuple(
            InputWire(port.name, port.type, *wired.get(port.name, (None, None)))
            for port in spec.inputs
        )
        dependencies = {w.source_step for w in inputs if w.source_step is not None}
        steps.append(
            Step(
                key=key,
                module=spec.ref,
                implementation=spec.implementation,
                implementation_digest=registry.implementation_digest(spec.ref),
                params_json=canonical_json(params),
                inputs=inputs,
                outputs=tuple(OutputPort(p.name, p.type) for p in spec.outputs),
                # listed in plan order (stable and meaningful), not alphabetically
                dependencies=tuple(sorted(dependencies, key=rank.__getitem__)),
                environment_image=spec.environment.image,
                environment_requirements=tuple(spec.environment.requirements),
                deterministic=spec.deterministic,
                timeout=node.execution.timeout
                if node.execution.timeout is not None
                else spec.timeout,
                retries=node.execution.retries,
                label=node.label or spec.display_name,
            )
        )
    plan = Plan(tuple(steps), canonical_json(resolved))
    if run_from is not None:
        return plan.run_from(run_from)
    if run_only is not None:
        return plan.run_only(run_only)
    return plan


def compile_document(
    data: Any,
    registry: Registry,
    parameter_values: Mapping[str, Any] | None = None,
    *,
    run_from: str | None = None,
    run_only: str | None = None,
) -> Plan:
    """Parse JSON data and compile it; raise CompileError with every issue if it cannot run."""
    try:
        graph = parse_graph(data)
    except GraphFormatError as exc:
        raise CompileError(list(exc.issues)) from exc
    return compile_graph(graph, registry, parameter_values, run_from=run_from, run_only=run_only)


__all__ = ["CompileError", "PlanError", "compile_document", "compile_graph"]
