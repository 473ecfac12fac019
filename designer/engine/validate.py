"""Validation: every problem of a graph in one pass, as Issues; never raises for user mistakes.

Issue codes (stable; clients may switch on them):

- document: ``invalid_document``, ``invalid_json``, ``unsupported_schema_version`` (from schema.py)
- ids: ``duplicate_node_id``, ``duplicate_edge_id``
- modules: ``invalid_module_ref``, ``unknown_module``, ``unknown_module_version``
- wiring: ``dangling_edge``, ``self_loop``, ``unknown_port``, ``incompatible_ports``,
  ``input_connected_twice``, ``required_input_unconnected``, ``cycle``
- params: ``param_unknown``, ``param_missing``, ``param_wrong_type``, ``param_out_of_range``,
  ``param_not_in_enum``
- pipeline parameters: ``unknown_pipeline_parameter``, ``pipeline_parameter_invalid_type``,
  ``pipeline_parameter_wrong_type``
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from designer.engine import params as P
from designer.engine.issues import Issue
from designer.engine.plan import PlanError, topological_order
from designer.engine.registry import ModuleSpec, Registry, split_ref
from designer.engine.schema import Edge, Graph, GraphFormatError, Node, parse_graph
from designer.engine.types import ports_compatible


@dataclass(frozen=True)
class Resolution:
    """Pipeline parameter values in force for one run, and whether they were given (run time)."""

    values: dict[str, Any]
    run_time: bool


def resolve_pipeline_values(
    graph: Graph, parameter_values: Mapping[str, Any] | None, issues: list[Issue]
) -> Resolution:
    """Merge declared defaults with given values, appending any problem to `issues`."""
    values: dict[str, Any] = {}
    for name, decl in graph.parameters.items():
        if not P.is_pipeline_type(decl.type):
            issues.append(
                Issue(
                    "pipeline_parameter_invalid_type",
                    f"pipeline parameter `{name}` has type {decl.type!r}; "
                    "use one of int, float, bool, string",
                    param=name,
                    field=f"parameters.{name}.type",
                )
            )
            values[name] = decl.default
            continue
        problem = P.check_pipeline_value(decl.type, decl.default)
        if problem:
            issues.append(
                Issue(
                    "pipeline_parameter_wrong_type",
                    f"default of pipeline parameter `{name}` ({decl.type}) {problem}",
                    param=name,
                    field=f"parameters.{name}.default",
                )
            )
        values[name] = _normalize_pipeline(decl.type, decl.default)
    for name, value in (parameter_values or {}).items():
        given = graph.parameters.get(name)
        if given is None:
            issues.append(
                Issue(
                    "unknown_pipeline_parameter",
                    f"a value was given for `{name}`, "
                    "but the pipeline has no parameter of that name",
                    param=name,
                )
            )
            continue
        kind = given.type
        problem = P.check_pipeline_value(kind, value) if P.is_pipeline_type(kind) else None
        if problem:
            issues.append(
                Issue(
                    "pipeline_parameter_wrong_type",
                    f"value of pipeline parameter `{name}` ({kind}) {problem}",
                    param=name,
                )
            )
            continue
        values[name] = _normalize_pipeline(kind, value)
    return Resolution(values, parameter_values is not None)


def _normalize_pipeline(kind: str, value: Any) -> Any:
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


@dataclass(frozen=True)
class Checked:
    """What validating a graph found: its issues, and what the compiler builds on when none.

    `specs` are the known nodes' module specs, `values` the pipeline parameter values in force,
    `order` the node ids in topological order (ties in document order; empty with a cycle).
    """

    issues: list[Issue]
    specs: dict[str, ModuleSpec]
    values: dict[str, Any]
    order: list[str]


def check(
    graph: Graph, registry: Registry, parameter_values: Mapping[str, Any] | None = None
) -> Checked:
    """Validate `graph` once: every issue, plus the specs, values and order compile reuses."""
    return _Validator(graph, registry).run(parameter_values)


def validate(
    graph: Graph, registry: Registry, parameter_values: Mapping[str, Any] | None = None
) -> list[Issue]:
    """Return every problem in `graph` (an empty list when it can run).

    `parameter_values` are the pipeline parameter values of a run. Without them (design time)
    a reference to a pipeline parameter that has no default is not checked; with them (run
    time, even an empty dict) every reference must resolve to an acceptable value.
    """
    return check(graph, registry, parameter_values).issues


def validate_document(
    data: Any, registry: Registry, parameter_values: Mapping[str, Any] | None = None
) -> tuple[Graph | None, list[Issue]]:
    """Parse JSON data and validate it: (graph or None, every issue). Never raises for bad data."""
    try:
        graph = parse_graph(data)
    except GraphFormatError as exc:
        return None, list(exc.issues)
    return graph, validate(graph, registry, parameter_values)


class _Validator:
    def __init__(self, graph: Graph, registry: Registry):
        self.graph = graph
        self.registry = registry
        self.issues: list[Issue] = []
        self.nodes: dict[str, Node] = {}  # first node of each id, in document order
        self.specs: dict[str, ModuleSpec] = {}  # node id -> spec, known modules only
        self.order: list[str] = []  # topological, once the edges are checked (none on a cycle)

    def run(self, parameter_values: Mapping[str, Any] | None) -> Checked:
        resolution = resolve_pipeline_values(self.graph, parameter_values, self.issues)
        for node in self.graph.nodes:
            if node.id in self.nodes:
                self.add(
                    "duplicate_node_id", f"node id `{node.id}` is used more than once", node=node.id
                )
                continue
            self.nodes[node.id] = node
            spec = self.module(node)
            if spec is not None:
                self.specs[node.id] = spec
                self.params(node, spec, resolution)
        self.edges()
        return Checked(self.issues, self.specs, resolution.values, self.order)

    def add(self, code: str, message: str, **where: Any) -> None:
        self.issues.append(Issue(code, message, **where))

    def module(self, node: Node) -> ModuleSpec | None:
        name, version = split_ref(node.module)
        if version is None:
            self.add(
                "invalid_module_ref",
                f"node `{node.id}`: module {node.module!r} must be written as name@version",
                node=node.id,
                field="module",
            )
            return None
        spec = self.registry.get(node.module)
        if spec is not None:
            return spec
        known = self.registry.versions(name)
        if known:
            listed = ", ".join(str(v) for v in known)
            self.add(
                "unknown_module_version",
                f"node `{node.id}`: module `{name}` has no version {version} (available: {listed})",
                node=node.id,
                field="module",
            )
        else:
            self.add(
                "unknown_module",
                f"node `{node.id}`: there is no module named `{name}`",
                node=node.id,
                field="module",
            )
        return None

    def params(self, node: Node, spec: ModuleSpec, resolution: Resolution) -> None:
        for key in node.params:
            if spec.param(key) is None:
                self.add(
                    "param_unknown",
                    f"node `{node.id}`: module {spec.ref} has no param `{key}`",
                    node=node.id,
                    param=key,
                )
        for pspec in spec.params:
            if pspec.name not in node.params:
                if pspec.required:
                    self.add(
                        "param_missing",
                        f"node `{node.id}`: param `{pspec.name}` is required",
                        node=node.id,
                        param=pspec.name,
                    )
                continue
            raw = node.params[pspec.name]
            name = P.reference(raw)
            suffix = ""
            if name is not None:
                if name not in self.graph.parameters:
                    self.add(
                        "unknown_pipeline_parameter",
                        f"node `{node.id}`: param `{pspec.name}` refers to `${name}`, "
                        "but the pipeline has no parameter of that name",
                        node=node.id,
                        param=pspec.name,
                    )
                    continue
                value = resolution.values.get(name)
                if value is None and not resolution.run_time:
                    continue  # set per run; checked when the run's values are known
                suffix = f" (from pipeline parameter `{name}`)"
            else:
                value = P.unescape(raw)
            problem = P.check_value(pspec, value)
            if problem is not None:
                code, message = problem
                self.add(
                    code, f"node `{node.id}`: {message}{suffix}", node=node.id, param=pspec.name
                )

    def edges(self) -> None:
        seen_ids: set[str] = set()
        into: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        adjacency: dict[str, list[str]] = defaultdict(list)
        for edge in self.graph.edges:
            if edge.id in seen_ids:
                self.add(
                    "duplicate_edge_id", f"edge id `{edge.id}` is used more than once", edge=edge.id
                )
                continue
            seen_ids.add(edge.id)
            src, dst = edge.source, edge.target
            missing = [n for n in (src.node, dst.node) if n not in self.nodes]
            if missing:
                names = " and ".join(f"`{n}`" for n in dict.fromkeys(missing))
                self.add(
                    "dangling_edge",
                    f"edge `{edge.id}` connects node {names}, which does not exist",
                    edge=edge.id,
                    node=missing[0],
                )
                continue
            if src.node == dst.node:
                self.add(
                    "self_loop",
                    f"edge `{edge.id}` connects node `{src.node}` to itself",
                    edge=edge.id,
                    node=src.node,
                )
                continue
            adjacency[src.node].append(dst.node)
            into[(dst.node, dst.port)].append(edge)
            self.ports(edge)
        for (node_id, port), wires in into.items():
            for extra in wires[1:]:
                self.add(
                    "input_connected_twice",
                    f"input `{port}` of node `{node_id}` has more than one incoming edge "
                    f"(`{wires[0].id}` and `{extra.id}`)",
                    node=node_id,
                    port=port,
                    edge=extra.id,
                )
        for node_id, spec in self.specs.items():
            for port_spec in spec.inputs:
                if not port_spec.optional and (node_id, port_spec.name) not in into:
                    self.add(
                        "required_input_unconnected",
                        f"node `{node_id}`: input `{port_spec.name}` must be connected",
                        node=node_id,
                        port=port_spec.name,
                    )
        nodes = list(self.nodes)
        try:  # Kahn's order, which the compiler reuses; only a graph with a cycle is searched
            self.order = topological_order(
                nodes, ((a, b) for a, targets in adjacency.items() for b in targets)
            )
            return
        except PlanError:
            pass
        for cycle in find_cycles(nodes, adjacency):
            path = " → ".join(f"`{n}`" for n in [*cycle, cycle[0]])
            self.add(
                "cycle",
                f"nodes form a cycle: {path}",
                node=cycle[0],
                nodes=tuple(cycle),
            )

    def ports(self, edge: Edge) -> None:
        src, dst = edge.source, edge.target
        src_spec, dst_spec = self.specs.get(src.node), self.specs.get(dst.node)
        out = src_spec.output(src.port) if src_spec else None
        inp = dst_spec.input(dst.port) if dst_spec else None
        if src_spec is not None and out is None:
            names = ", ".join(p.name for p in src_spec.outputs) or "none"
            self.add(
                "unknown_port",
                f"edge `{edge.id}`: node `{src.node}` ({src_spec.ref}) has no output `{src.port}` "
                f"(outputs: {names})",
                node=src.node,
                port=src.port,
                edge=edge.id,
            )
        if dst_spec is not None and inp is None:
            names = ", ".join(p.name for p in dst_spec.inputs) or "none"
            self.add(
                "unknown_port",
                f"edge `{edge.id}`: node `{dst.node}` ({dst_spec.ref}) has no input `{dst.port}` "
                f"(inputs: {names})",
                node=dst.node,
                port=dst.port,
                edge=edge.id,
            )
        if out is not None and inp is not None and not ports_compatible(out.type, inp.type):
            self.add(
                "incompatible_ports",
                f"edge `{edge.id}`: output `{src.port}` of `{src.node}` is a {out.type.value}, "
                f"but input `{dst.port}` of `{dst.node}` takes a {inp.type.value}",
                node=dst.node,
                port=dst.port,
                edge=edge.id,
            )


def find_cycles(nodes: list[str], adjacency: Mapping[str, list[str]]) -> list[list[str]]:
    """Return one cycle (as a node path) per strongly connected component with a loop.

    Iterative Tarjan, so deep graphs do not hit the recursion limit. Each cycle starts at the
    component's first node in `nodes` order.
    """
    order = {n: i for i, n in enumerate(nodes)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = adjacency.get(node, [])
            recursed = False
            while i < len(successors):
                nxt = successors[i]
                i += 1
                if nxt not in order:
                    continue
                if nxt not in index:
                    work.append((node, i))
                    work.append((nxt, 0))
                    recursed = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recursed:
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    cycles = []
    for component in components:
        members = set(component)
        start = min(component, key=order.__getitem__)
        cycles.append(_cycle_through(start, members, adjacency))
    cycles.sort(key=lambda c: order[c[0]])
    return cycles


def _cycle_through(start: str, members: set[str], adjacency: Mapping[str, list[str]]) -> list[str]:
    """Shortest path start → … → start inside one strongly connected component (BFS)."""
    parent: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for nxt in adjacency.get(node, []):
                if nxt not in members:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return list(reversed(path))
                if nxt not in seen:
                    seen.add(nxt)
                    parent[nxt] = node
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return [start]  # pragma: no cover - a component with a loop always has a path back
