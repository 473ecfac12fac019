"""Derive a real-time inference graph from a training graph and the outputs of one of its runs.

The scoring node (Score model, Assign data to clusters or Score SVD recommender) is kept with
the steps its rows come through; trained models and recommenders, fitted transforms and side
tables become frozen nodes that load that run's outputs by digest; steps that fitted a transform
on the rows become Apply transformation with the frozen fit; row splits and SMOTE are bypassed;
the data source becomes a Web service input whose batch input is the run's training rows without
the label columns (a recommender's: only its user column, and its item column where the scores
need it); a Web service output follows the scored columns. Pure data in and out: the caller
supplies the run's step outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from designer.engine.registry import ModuleSpec, Registry
from designer.engine.types import PortType
from designer.modules.specs.frozen import (
    FROZEN_DATASET,
    FROZEN_MODEL,
    FROZEN_RECOMMENDER,
    FROZEN_TRANSFORM,
)
from designer.modules.specs.output import WEB_SERVICE_INPUT as WEB_INPUT
from designer.modules.specs.output import WEB_SERVICE_OUTPUT as WEB_OUTPUT

RECOMMENDER_SCORER = "ml.score_svd_recommender"
SCORERS = ("ml.score_model", "ml.assign_clusters", RECOMMENDER_SCORER)
# steps on training rows only: request rows are not split, sampled or grown by SMOTE
BYPASSED = (
    "transform.split_rows",
    "transform.split_by_expression",
    "transform.partition_sample",
    "transform.smote",
)
APPLY = "transform.apply_transform"
SELECT = "transform.select_columns"
FROZEN = {
    PortType.MODEL: FROZEN_MODEL,
    PortType.TRANSFORM: FROZEN_TRANSFORM,
    PortType.RECOMMENDER: FROZEN_RECOMMENDER,
    PortType.DATAFRAME: FROZEN_DATASET,
}
FROZEN_PORT = {
    PortType.MODEL: "model",
    PortType.TRANSFORM: "transform",
    PortType.RECOMMENDER: "recommender",
    PortType.DATAFRAME: "dataset",
}
RESPONSE_PATTERN = (
    r"^(Scored Labels|Scored Probabilities.*|Anomaly Score|Assignments|DistancesToClusterCenter.*)$"
)
RECOMMENDER_RESPONSE = r"^(Scored Rating|User|Recommended Item \d+)$"

Outputs = Mapping[str, Mapping[str, Mapping[str, Any]]]  # node -> port -> {"digest", "summary"}


class DeriveError(Exception):
    """The run's graph has no inference graph; `issues` name the nodes at fault."""

    def __init__(self, message: str, issues: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.issues = issues or []


Wire = tuple[str, str]  # (node, port)


def _name(node: Mapping[str, Any]) -> str:
    return str(node["module"]).rpartition("@")[0]


def _title(node: Mapping[str, Any]) -> str:
    return str(node.get("label") or node["id"])


class _Derivation:
    """One derivation: the training graph, the run's outputs, and the document being built."""

    def __init__(
        self, document: Mapping[str, Any], outputs: Outputs, registry: Registry, run_id: int
    ):
        self.nodes = {str(n["id"]): n for n in document["nodes"]}
        self.sources: dict[Wire, Wire] = {
            (e["target"]["node"], e["target"]["port"]): (e["source"]["node"], e["source"]["port"])
            for e in document["edges"]
        }
        self.outputs = outputs
        self.registry = registry
        self.run_id = run_id
        self.new_nodes: list[dict[str, Any]] = []
        self.new_edges: list[dict[str, Any]] = []

    def spec(self, node: Mapping[str, Any]) -> ModuleSpec:
        found = self.registry.get(str(node["module"]))
        if found is None:
            raise DeriveError(f"node {node['id']}: unknown module {node['module']}")
        return found

    def primary_input(self, node: Mapping[str, Any]) -> str | None:
        """The node's first table input: the one request rows come through."""
        return next((p.name for p in self.spec(node).inputs if p.type is PortType.DATAFRAME), None)

    def digest(self, wire: Wire) -> str:
        record = self.outputs.get(wire[0], {}).get(wire[1])
        if not record or not record.get("digest"):
            raise DeriveError(
                f"node {wire[0]}: output {wire[1]!r} was not stored by run {self.run_id}; "
                "derive the inference graph from a run where it succeeded",
                [{"node": wire[0], "port": wire[1], "code": "no_output", "message": "not stored"}],
            )
        return str(record["digest"])

    def add_node(self, wanted: str, module: str, params: dict[str, Any], label: str) -> str:
        """Add a node (placed by _lay_out at the end); its id, `wanted` made unique."""
        ids = {n["id"] for n in self.new_nodes}
        node_id, n = wanted, 2
        while node_id in ids:
            node_id, n = f"{wanted}_{n}", n + 1
        self.new_nodes.append(
            {
                "id": node_id,
                "module": f"{module}@1",
                "params": params,
                "position": {"x": 0, "y": 0},
                "label": label,
            }
        )
        return node_id

    def add_edge(self, source: Wire, target: Wire) -> None:
        self.new_edges.append(
            {
                "id": f"e{len(self.new_edges) + 1}",
                "source": {"node": source[0], "port": source[1]},
                "target": {"node": target[0], "port": target[1]},
            }
        )

    def frozen(self, source: Wire, kind: PortType) -> Wire:
        """A frozen node of the run's output at `source`; its output wire."""
        params = {"run": self.run_id, "step": source[0], "port": source[1]}
        node_id = self.add_node(
            f"{source[0]}_{source[1]}_frozen",
            FROZEN[kind],
            {**params, "digest": self.digest(source)},
            f"{_title(self.nodes[source[0]])} · {source[1]} (run {self.run_id})",
        )
        return node_id, FROZEN_PORT[kind]

    def chain(self, score: dict[str, Any]) -> list[tuple[dict[str, Any], Wire]]:
        """From the scoring node up: each kept node with the wire its rows come from (splits
        bypassed); the last wire is the data source's output."""
        chain = []
        current = score
        while True:
            port = self.primary_input(current)
            wire = self.sources.get((current["id"], port)) if port else None
            if wire is None:
                raise DeriveError(
                    f"node {current['id']}: its input {port!r} is not connected",
                    [{"node": current["id"], "port": port, "code": "unconnected", "message": ""}],
                )
            upstream = self.nodes[wire[0]]
            while _name(upstream) in BYPASSED:
                wire = self.sources[(upstream["id"], str(self.primary_input(upstream)))]
                upstream = self.nodes[wire[0]]
            chain.append((current, wire))
            if self.primary_input(upstream) is None or _name(upstream) == WEB_INPUT:
                return chain
            current = upstream

    def keep(self, node: dict[str, Any], read: str, above: Wire) -> Wire:
        """Add one kept step fed by `above`; return the wire the next step down reads."""
        module = self.spec(node)
        fitted = module.output("transform")
        if fitted is not None and fitted.type is PortType.TRANSFORM:
            fit = self.frozen((node["id"], "transform"), PortType.TRANSFORM)
            label = f"{_title(node)} (replayed: fitted in run {self.run_id})"
            applied = self.add_node(node["id"], APPLY, {}, label)
            self.add_edge(fit, (applied, "transform"))
            self.add_edge(above, (applied, "dataset"))
            return applied, "dataset"
        kept = self.add_node(node["id"], _name(node), dict(node.get("params") or {}), _title(node))
        primary = self.primary_input(node)
        for port in module.inputs:
            source = self.sources.get((node["id"], port.name))
            if port.name == primary:
                self.add_edge(above, (kept, port.name))
            elif source is not None:
                kind = port.type if port.type in FROZEN else PortType.DATAFRAME
                self.add_edge(self.frozen(source, kind), (kept, port.name))
        return kept, read

    def model_params(self, score: Mapping[str, Any], port: str, key: str) -> Any:
        """A param of the model (or recommender) the scoring node reads on `port`: from its
        stored summary, else from its trainer's params."""
        wire = self.sources.get((score["id"], port))
        if wire is None:
            return None
        summary = self.outputs.get(wire[0], {}).get(wire[1], {}).get("summary") or {}
        return (summary.get("params") or {}).get(key) or (
            self.nodes[wire[0]].get("params") or {}
        ).get(key)

    def labels(self, score: Mapping[str, Any]) -> list[str]:
        """The label column of the scoring node's model (from its summary, else its trainer)."""
        label = self.model_params(score, "model", "label")
        return [str(label)] if label else []

    def recommender_keys(self, score: Mapping[str, Any]) -> list[str]:
        """The columns a recommender's request rows hold: the user, and the item where the
        scores need it (predicted ratings, or ranking the items named in the request)."""
        params = score.get("params") or {}
        user = str(params.get("user") or self.model_params(score, "recommender", "user") or "")
        item = str(params.get("item") or self.model_params(score, "recommender", "item") or "")
        if not user or not item:
            raise DeriveError(
                f"node {score['id']}: its recommender's user and item columns are unknown; "
                "derive the inference graph from a run where it was trained",
                [{"node": score["id"], "port": "recommender", "code": "no_output", "message": ""}],
            )
        ranked = params.get("mode") == "item_recommendation" and params.get("candidates") != "rated"
        return [user] if ranked else [user, item]


def derive_inference_graph(
    document: Mapping[str, Any],
    outputs: Outputs,
    registry: Registry,
    *,
    run_id: int,
    score_node: str | None = None,
) -> dict[str, Any]:
    """The inference graph document (schema v1) for one scoring node of a finished run."""
    derivation = _Derivation(document, outputs, registry, run_id)
    score = _scoring_node(derivation.nodes, score_node)
    chain = derivation.chain(score)

    # the Web service input, fed in batch runs by the training rows without the labels
    rows = derivation.frozen(chain[-1][1], PortType.DATAFRAME)
    recommends = _name(score) == RECOMMENDER_SCORER
    if recommends:
        request = derivation.add_node(
            "request_columns",
            SELECT,
            {"columns": derivation.recommender_keys(score), "mode": "include"},
            "Request columns (the recommender's keys)",
        )
        derivation.add_edge(rows, (request, "dataset"))
        rows = (request, "dataset")
    labels = [] if recommends else derivation.labels(score)
    if labels:
        request = derivation.add_node(
            "request_columns",
            SELECT,
            {"columns": labels, "mode": "exclude"},
            "Request columns (labels removed)",
        )
        derivation.add_edge(rows, (request, "dataset"))
        rows = (request, "dataset")
    web_input = derivation.add_node("web_service_input", WEB_INPUT, {}, "Web service input")
    derivation.add_edge(rows, (web_input, "dataset"))

    # the kept steps, top down; each reads the rows from the step kept above it
    above: Wire = (web_input, "dataset")
    for i in range(len(chain) - 1, -1, -1):
        read = chain[i - 1][1][1] if i else "dataset"  # the port the next step down reads
        above = derivation.keep(chain[i][0], read, above)

    response = derivation.add_node(
        "response_columns",
        SELECT,
        {"pattern": RECOMMENDER_RESPONSE if recommends else RESPONSE_PATTERN, "mode": "include"},
        "Response columns",
    )
    derivation.add_edge(above, (response, "dataset"))
    web_output = derivation.add_node("web_service_output", WEB_OUTPUT, {}, "Web service output")
    derivation.add_edge((response, "dataset"), (web_output, "dataset"))
    _lay_out(derivation.new_nodes, derivation.new_edges)
    return {
        "schema_version": document.get("schema_version", 1),
        "parameters": dict(document.get("parameters") or {}),
        "nodes": derivation.new_nodes,
        "edges": derivation.new_edges,
        "comments": [],
    }


LAYER_HEIGHT = 130
COLUMN_WIDTH = 260


def _lay_out(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> None:
    """Place the steps the rows go through in a column, one layer per step (longest path), and
    each frozen input up and to the left of the step that reads it."""
    frozen = {n["id"] for n in nodes if n["module"].rpartition("@")[0] in FROZEN.values()}
    feeds: dict[str, list[str]] = {}
    readers: dict[str, list[str]] = {}
    for edge in edges:
        source, target = edge["source"]["node"], edge["target"]["node"]
        if source not in frozen:
            feeds.setdefault(target, []).append(source)
        readers.setdefault(source, []).append(target)
    layer: dict[str, int] = {}

    def depth(node_id: str) -> int:
        if node_id not in layer:
            layer[node_id] = 1 + max((depth(s) for s in feeds.get(node_id, [])), default=-1)
        return layer[node_id]

    taken: dict[int, int] = {}
    for node in sorted(nodes, key=lambda n: n["id"] in frozen):  # the row path first
        if node["id"] in frozen:
            row = min(depth(r) for r in readers.get(node["id"], [node["id"]])) - 1
        else:
            row = depth(node["id"])
        column = taken.get(row, 0)
        taken[row] = column + 1
        node["position"] = {"x": -COLUMN_WIDTH * column, "y": LAYER_HEIGHT * row}


def _scoring_node(nodes: Mapping[str, dict[str, Any]], wanted: str | None) -> dict[str, Any]:
    candidates = [n for n in nodes.values() if _name(n) in SCORERS]
    if wanted is not None:
        chosen = nodes.get(wanted)
        if chosen is None or _name(chosen) not in SCORERS:
            raise DeriveError(
                f"score_node: {wanted!r} is not a Score model, Assign data to clusters or Score "
                "SVD recommender node; "
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
