"""Derive a real-time inference graph from a training graph and the outputs of one of its runs.

The scoring node (Score model or Assign data to clusters) is kept with the steps its rows come
through; trained models, fitted transforms and side tables become frozen nodes that load that
run's outputs by digest; steps that fitted a transform on the rows become Apply transformation
with the frozen fit; row splits are bypassed; the data source becomes a Web service input whose
batch input is the run's training rows without the label columns; a Web service output follows
the scored columns. Pure data in and out: the caller supplies the run's step outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from designer.engine.registry import ModuleSpec, Registry
from designer.engine.types import PortType
from designer.modules.specs.frozen import FROZEN_DATASET, FROZEN_MODEL, FROZEN_TRANSFORM
from designer.modules.specs.output import WEB_SERVICE_INPUT as WEB_INPUT
from designer.modules.specs.output import WEB_SERVICE_OUTPUT as WEB_OUTPUT

SCORERS = ("ml.score_model", "ml.assign_clusters")
SPLITS = ("transform.split_rows", "transform.split_by_expression", "transform.partition_sample")
APPLY = "transform.apply_transform"
SELECT = "transform.select_columns"
FROZEN = {
    PortType.MODEL: FROZEN_MODEL,
    PortType.TRANSFORM: FROZEN_TRANSFORM,
    PortType.DATAFRAME: FROZEN_DATASET,
}
FROZEN_PORT = {
    PortType.MODEL: "model",
    PortType.TRANSFORM: "transform",
    PortType.DATAFRAME: "dataset",
}
RESPONSE_PATTERN = (
    r"^(Scored Labels|Scored Probabilities.*|Assignments|DistancesToClusterCenter.*)$"
)

Outputs = Mapping[str, Mapping[str, Mapping[str, Any]]]  # node -> port -> {"digest", "summary"}


class DeriveError(Exception):
    """The run's graph has no inference graph; `issues` name the nodes at fault."""

    def __init__(self, message: str, issues: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.issues = issues or []


@dataclass
class _Builder:
    """The new document as it is assembled."""

    run_id: int
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)

    def node(
        self, wanted: str, module: str, params: dict[str, Any], x: float, y: float, label: str
    ) -> str:
        node_id, n = wanted, 2
        while node_id in self.ids:
            node_id, n = f"{wanted}_{n}", n + 1
        self.ids.add(node_id)
        self.nodes.append(
            {
                "id": node_id,
                "module": f"{module}@1",
                "params": params,
                "position": {"x": x, "y": y},
                "label": label,
            }
        )
        return node_id

    def edge(self, source: tuple[str, str], target: tuple[str, str]) -> None:
        self.edges.append(
            {
                "id": f"e{len(self.edges) + 1}",
                "source": {"node": source[0], "port": source[1]},
                "target": {"node": target[0], "port": target[1]},
            }
        )


def _name(node: Mapping[str, Any]) -> str:
    return str(node["module"]).rpartition("@")[0]


def _position(node: Mapping[str, Any]) -> tuple[float, float]:
    position = node.get("position") or {}
    return float(position.get("x", 0)), float(position.get("y", 0))


def _title(node: Mapping[str, Any]) -> str:
    return str(node.get("label") or node["id"])


def derive_inference_graph(
    document: Mapping[str, Any],
    outputs: Outputs,
    registry: Registry,
    *,
    run_id: int,
    score_node: str | None = None,
) -> dict[str, Any]:
    """The inference graph document (schema v1) for one scoring node of a finished run."""
    nodes = {str(n["id"]): n for n in document["nodes"]}
    sources = {
        (e["target"]["node"], e["target"]["port"]): (e["source"]["node"], e["source"]["port"])
        for e in document["edges"]
    }
    score = _scoring_node(nodes, score_node)
    builder = _Builder(run_id)

    def spec(node: Mapping[str, Any]) -> ModuleSpec:
        found = registry.get(str(node["module"]))
        if found is None:
            raise DeriveError(f"node {node['id']}: unknown module {node['module']}")
        return found

    def digest(node_id: str, port: str) -> str:
        record = outputs.get(node_id, {}).get(port)
        if not record or not record.get("digest"):
            raise DeriveError(
                f"node {node_id}: output {port!r} was not stored by run {run_id}; "
                "derive the inference graph from a run where it succeeded",
                [{"node": node_id, "port": port, "code": "no_output", "message": "not stored"}],
            )
        return str(record["digest"])

    def frozen(source: tuple[str, str], kind: PortType, near: tuple[float, float]) -> str:
        node_id, port = source
        params = {"run": run_id, "step": node_id, "port": port, "digest": digest(node_id, port)}
        return builder.node(
            f"{node_id}_{port}_frozen",
            FROZEN[kind],
            params,
            near[0] - 260,
            near[1] - 40,
            f"{_title(nodes[node_id])} · {port} (run {run_id})",
        )

    def primary_input(node: Mapping[str, Any]) -> str | None:
        return next(
            (p.name for p in spec(node).inputs if p.type is PortType.DATAFRAME),
            None,
        )

    # walk up from the scoring node along each step's first table input
    chain: list[tuple[dict[str, Any], tuple[str, str]]] = []  # (node, its source wire)
    current = score
    while True:
        port = primary_input(current)
        wire = sources.get((current["id"], port)) if port else None
        if wire is None:
            raise DeriveError(
                f"node {current['id']}: its input {port!r} is not connected",
                [{"node": current["id"], "port": port, "code": "unconnected", "message": ""}],
            )
        chain.append((current, wire))
        upstream = nodes[wire[0]]
        while _name(upstream) in SPLITS:  # request rows are not split
            split_port = primary_input(upstream)
            wire = sources[(upstream["id"], split_port)] if split_port else wire
            upstream = nodes[wire[0]]
            chain[-1] = (current, wire)
        if primary_input(upstream) is None or _name(upstream) == WEB_INPUT:
            break
        current = upstream
    rows_source = chain[-1][1]

    # the Web service input, fed in batch runs by the training rows without the labels
    x, y = _position(nodes[rows_source[0]])
    rows = frozen(rows_source, PortType.DATAFRAME, (x + 260, y))
    labels = _labels(nodes, sources, outputs, score)
    if labels:
        request = builder.node(
            "request_columns",
            SELECT,
            {"columns": labels, "mode": "exclude"},
            x,
            y + 60,
            "Request columns (labels removed)",
        )
        builder.edge((rows, "dataset"), (request, "dataset"))
        rows = request
    web_input = builder.node("web_service_input", WEB_INPUT, {}, x, y + 140, "Web service input")
    builder.edge((rows, "dataset"), (web_input, "dataset"))

    # the kept steps, top down; each reads the rows from the step kept above it
    above: tuple[str, str] = (web_input, "dataset")
    for i in range(len(chain) - 1, -1, -1):
        read = chain[i - 1][1][1] if i else "dataset"  # the port the next step down reads
        above = _keep(chain[i][0], read, above, sources, builder, spec, frozen)

    sx, sy = _position(score)
    response = builder.node(
        "response_columns",
        SELECT,
        {"pattern": RESPONSE_PATTERN, "mode": "include"},
        sx,
        sy + 120,
        "Response columns",
    )
    builder.edge(above, (response, "dataset"))
    web_output = builder.node(
        "web_service_output", WEB_OUTPUT, {}, sx, sy + 240, "Web service output"
    )
    builder.edge((response, "dataset"), (web_output, "dataset"))
    return {
        "schema_version": document.get("schema_version", 1),
        "parameters": dict(document.get("parameters") or {}),
        "nodes": builder.nodes,
        "edges": builder.edges,
        "comments": [],
    }


def _scoring_node(nodes: Mapping[str, dict[str, Any]], wanted: str | None) -> dict[str, Any]:
    candidates = [n for n in nodes.values() if _name(n) in SCORERS]
    if wanted is not None:
        chosen = nodes.get(wanted)
        if chosen is None or _name(chosen) not in SCORERS:
            raise DeriveError(
                f"score_node: {wanted!r} is not a Score model or Assign data to clusters node; "
                f"the graph has: {', '.join(n['id'] for n in candidates) or 'none'}",
                [{"field": "score_node", "code": "invalid", "message": "not a scoring node"}],
            )
        return chosen
    if len(candidates) != 1:
        found = ", ".join(n["id"] for n in candidates)
        raise DeriveError(
            "score_node: the graph has no Score model node"
            if not candidates
            else f"score_node: the graph has several scoring nodes ({found}); name one",
            [{"field": "score_node", "code": "required", "message": found or "none"}],
        )
    return candidates[0]


def _labels(
    nodes: Mapping[str, dict[str, Any]],
    sources: Mapping[tuple[str, str], tuple[str, str]],
    outputs: Outputs,
    score: Mapping[str, Any],
) -> list[str]:
    """The label column of the model the scoring node uses (from its summary, else its trainer)."""
    wire = sources.get((score["id"], "model"))
    if wire is None:
        return []
    summary = outputs.get(wire[0], {}).get(wire[1], {}).get("summary") or {}
    label = (summary.get("params") or {}).get("label") or nodes[wire[0]].get("params", {}).get(
        "label"
    )
    return [str(label)] if label else []


def _keep(
    node: dict[str, Any],
    read: str,
    above: tuple[str, str],
    sources: Mapping[tuple[str, str], tuple[str, str]],
    builder: _Builder,
    spec: Any,
    frozen: Any,
) -> tuple[str, str]:
    """Add one kept step fed by `above`; return the (node, port) the next step reads."""
    module: ModuleSpec = spec(node)
    x, y = _position(node)
    fitted = module.output("transform")
    if fitted is not None and fitted.type is PortType.TRANSFORM:
        fit = frozen((node["id"], "transform"), PortType.TRANSFORM, (x, y))
        applied = builder.node(
            node["id"],
            APPLY,
            {},
            x,
            y,
            f"{_title(node)} (replayed: fitted in run {builder.run_id})",
        )
        builder.edge((fit, "transform"), (applied, "transform"))
        builder.edge(above, (applied, "dataset"))
        return applied, "dataset"
    kept = builder.node(node["id"], _name(node), dict(node.get("params") or {}), x, y, _title(node))
    primary = next(p.name for p in module.inputs if p.type is PortType.DATAFRAME)
    builder.edge(above, (kept, primary))
    for port in module.inputs:
        source = sources.get((node["id"], port.name))
        if port.name == primary or source is None:
            continue
        kind = port.type if port.type in FROZEN else PortType.DATAFRAME
        frozen_id = frozen(source, kind, (x, y))
        builder.edge((frozen_id, FROZEN_PORT[kind]), (kept, port.name))
    return kept, read
