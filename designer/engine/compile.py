"""The compiler: a valid graph + registry + pipeline parameter values → an immutable Plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from designer.engine import params as P
from designer.engine.hashing import canonical_json
from designer.engine.issues import Issue
from designer.engine.plan import InputWire, OutputPort, Plan, PlanError, Step, topological_order
from designer.engine.registry import Registry
from designer.engine.schema import Graph, GraphFormatError, parse_graph
from designer.engine.validate import resolve_pipeline_values, validate


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
    """
    values = dict(parameter_values or {})
    issues = validate(graph, registry, values)
    if run_from is not None and run_only is not None:
        issues.append(Issue("invalid_target", "choose either run from a node or run only a node"))
    for key in (run_from, run_only):
        if key is not None and graph.node(key) is None:
            issues.append(
                Issue("unknown_node", f"there is no node `{key}` in this pipeline", node=key)
            )
    if issues:
        raise CompileError(issues)
    resolved = resolve_pipeline_values(graph, values, []).values

    wiring: dict[str, dict[str, tuple[str, str]]] = {n.id: {} for n in graph.nodes}
    for edge in graph.edges:
        wiring[edge.target.node][edge.target.port] = (edge.source.node, edge.source.port)

    steps: dict[str, Step] = {}
    for node in graph.nodes:
        spec = registry.get(node.module)
        assert spec is not None  # validated
        params: dict[str, Any] = {}
        for pspec in spec.params:
            if pspec.name in node.params:
                value = P.resolve_value(node.params[pspec.name], resolved)
            else:
                value = P.default_value(pspec)
            params[pspec.name] = P.normalize(pspec, value)
        inputs = []
        for port in spec.inputs:
            source = wiring[node.id].get(port.name)
            inputs.append(
                InputWire(
                    port=port.name,
                    type=port.type,
                    source_step=source[0] if source else None,
                    source_port=source[1] if source else None,
                )
            )
        dependencies = sorted({w.source_step for w in inputs if w.source_step is not None})
        steps[node.id] = Step(
            key=node.id,
            module=spec.ref,
            implementation=spec.implementation,
            implementation_digest=registry.implementation_digest(spec.ref),
            params_json=canonical_json(params),
            inputs=tuple(inputs),
            outputs=tuple(OutputPort(p.name, p.type) for p in spec.outputs),
            dependencies=tuple(dependencies),
            environment_image=spec.environment.image,
            environment_requirements=tuple(spec.environment.requirements),
            deterministic=spec.deterministic,
            timeout=node.execution.timeout if node.execution.timeout is not None else spec.timeout,
            retries=node.execution.retries,
        )
    edges = [(dep, s.key) for s in steps.values() for dep in s.dependencies]
    order = topological_order([n.id for n in graph.nodes], edges)
    # dependencies listed in plan order (stable and meaningful), not alphabetically
    rank = {k: i for i, k in enumerate(order)}
    plan = Plan(
        tuple(
            _with_dependencies(steps[k], sorted(steps[k].dependencies, key=rank.__getitem__))
            for k in order
        ),
        canonical_json(resolved),
    )
    if run_from is not None:
        return plan.run_from(run_from)
    if run_only is not None:
        return plan.run_only(run_only)
    return plan


def _with_dependencies(step: Step, dependencies: list[str]) -> Step:
    from dataclasses import replace

    return replace(step, dependencies=tuple(dependencies))


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
