"""The graph document (schema v1): strict parsing into typed objects and canonical JSON out."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from designer.engine.heap import collector_paused
from designer.engine.issues import Issue
from designer.engine.types import pipeline_parameter_types

SCHEMA_VERSION = 1
JSONValue = Any
# Node ids name steps, log files and URLs: letters, digits, "_" and "-", at most 64 of them.
NODE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
PIPELINE_TYPES = tuple(t.value for t in pipeline_parameter_types())
# Each object of the document: (required fields, optional fields). The parser and the JSON
# schema (document_schemas) both read these, so they cannot disagree on a field.
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "GraphDocument": (("schema_version", "nodes", "edges"), ("parameters", "comments")),
    "GraphNode": (("id", "module"), ("params", "position", "label", "execution")),
    "Execution": ((), ("timeout", "retries")),
    "Position": (("x", "y"), ()),
    "GraphEdge": (("id", "source", "target"), ()),
    "PortRef": (("node", "port"), ()),
    "PipelineParameter": (("type",), ("default", "description")),
    "GraphComment": (("id", "text"), ("position", "width", "height")),
}
# Optional fields that graph_to_dict always writes: required in the canonical documents the API
# answers with (`GraphDocument`), optional in the ones it takes (`GraphDocumentInput`).
WRITTEN: dict[str, tuple[str, ...]] = {
    "GraphDocument": ("parameters", "comments"),
    "GraphNode": ("params", "position"),
    "PipelineParameter": ("default", "description"),
    "GraphComment": ("position",),
}
INPUT = "Input"  # suffix of the schema objects of documents as taken in


class GraphFormatError(ValueError):
    """The document is not a well-formed graph; `issues` names every structural problem."""

    def __init__(self, issues: list[Issue]):
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


@dataclass(frozen=True)
class Position:
    """Where a node or comment sits on the canvas."""

    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True)
class Execution:
    """A node's own limits for running its step; None keeps the module's or the run's."""

    timeout: float | None = None  # seconds one attempt may take
    retries: int | None = None  # how often a failed attempt is tried again

    def to_dict(self) -> dict[str, float | int]:
        """The fields that are set (the document's `execution` object)."""
        out: dict[str, float | int] = {}
        if self.timeout is not None:
            out["timeout"] = self.timeout
        if self.retries is not None:
            out["retries"] = self.retries
        return out


MAX_TIMEOUT = 7 * 24 * 3600.0  # a week
MAX_RETRIES = 10


@dataclass(frozen=True)
class Node:
    """One module instance: which module@version, its params and its place on the canvas."""

    id: str
    module: str
    params: dict[str, JSONValue] = field(default_factory=dict)
    position: Position = Position()
    label: str | None = None
    execution: Execution = Execution()

    @property
    def module_name(self) -> str:
        """The module's name without its version."""
        return self.module.rpartition("@")[0] or self.module


@dataclass(frozen=True)
class PortRef:
    """One end of an edge: a node and one of its ports."""

    node: str
    port: str


@dataclass(frozen=True)
class Edge:
    """A wire from an output port to an input port."""

    id: str
    source: PortRef
    target: PortRef


@dataclass(frozen=True)
class PipelineParameter:
    """A value set per run and referenced from node params as "$name"."""

    type: str
    default: JSONValue = None
    description: str = ""


@dataclass(frozen=True)
class Comment:
    """A sticky note on the canvas."""

    id: str
    text: str
    position: Position = Position()
    width: float | None = None
    height: float | None = None


@dataclass(frozen=True)
class Graph:
    """A whole pipeline document."""

    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    parameters: dict[str, PipelineParameter] = field(default_factory=dict)
    comments: tuple[Comment, ...] = ()
    schema_version: int = SCHEMA_VERSION

    def node(self, node_id: str) -> Node | None:
        """Return the node with this id, or None."""
        return next((n for n in self.nodes if n.id == node_id), None)


class _Reader:
    """Collects every structural problem while reading a JSON value."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def fail(self, where: str, message: str, **loc: str | None) -> None:
        self.issues.append(
            Issue(
                "invalid_document",
                f"{where}: {message}",
                node=loc.get("node"),
                port=loc.get("port"),
                param=loc.get("param"),
                edge=loc.get("edge"),
                field=where,
            )
        )

    def obj(self, value: Any, where: str, kind: str, **loc: str | None) -> dict[str, Any] | None:
        required, optional = FIELDS[kind]
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {_json_type(value)}", **loc)
            return None
        for key in required:
            if key not in value:
                self.fail(f"{where}.{key}", "is required", **loc)
        for key in value:
            if key not in required and key not in optional:
                self.fail(f"{where}.{key}", "is not a known field", **loc)
        return value

    def string(self, value: Any, where: str, **loc: str | None) -> str | None:
        if isinstance(value, str) and value:
            return value
        self.fail(where, f"expected a non-empty string, got {_json_type(value)}", **loc)
        return None

    def number(self, value: Any, where: str, **loc: str | None) -> float | None:
        if (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and (not isinstance(value, float) or math.isfinite(value))
        ):
            return value
        self.fail(where, f"expected a number, got {_json_type(value)}", **loc)
        return None

    def array(self, value: Any, where: str) -> list[Any]:
        if isinstance(value, list):
            return value
        self.fail(where, f"expected an array, got {_json_type(value)}")
        return []

    def position(self, value: Any, where: str, **loc: str | None) -> Position:
        data = self.obj(value, where, "Position", **loc)
        if data is None:
            return Position()
        x = self.number(data.get("x"), f"{where}.x", **loc) if "x" in data else None
        y = self.number(data.get("y"), f"{where}.y", **loc) if "y" in data else None
        return Position(x if x is not None else 0.0, y if y is not None else 0.0)

    def port_ref(self, value: Any, where: str, edge: str | None) -> PortRef:
        data = self.obj(value, where, "PortRef", edge=edge) or {}
        node = self.string(data.get("node"), f"{where}.node", edge=edge) if "node" in data else None
        port = self.string(data.get("port"), f"{where}.port", edge=edge) if "port" in data else None
        return PortRef(node or "", port or "")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string" if value else "an empty string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_scalar(value: Any) -> bool:
    """null, true/false, a finite number or text: what a pipeline parameter's default may be."""
    return value is None or isinstance(value, (str, bool, int)) or _finite(value)


def _finite(value: Any) -> bool:
    return isinstance(value, float) and math.isfinite(value)


def _param_value_problem(value: Any) -> str | None:
    """Why `value` cannot be a node param's value (a scalar or a list of texts), or None."""
    if _is_scalar(value):
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return None
    return (
        f"expected null, true or false, a number, text or a list of texts, got {_json_type(value)}"
    )


def parse_graph(data: Any) -> Graph:
    """Read a graph document strictly; raise GraphFormatError naming every structural problem.

    Structure only: unknown modules, bad wiring and bad param values are the validator's job.
    """
    with collector_paused():
        return _parse(data)


def _parse(data: Any) -> Graph:
    r = _Reader()
    doc = r.obj(data, "graph", "GraphDocument")
    if doc is None:
        raise GraphFormatError(r.issues)
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION and "schema_version" in doc:
        r.issues.append(
            Issue(
                "unsupported_schema_version",
                f"schema_version {version!r} is not supported (this server reads {SCHEMA_VERSION})",
                field="schema_version",
            )
        )
    nodes = [_parse_node(r, raw, i) for i, raw in enumerate(r.array(doc.get("nodes", []), "nodes"))]
    edges = [_parse_edge(r, raw, i) for i, raw in enumerate(r.array(doc.get("edges", []), "edges"))]
    parameters = _parse_parameters(r, doc.get("parameters", {}))
    comments = [
        _parse_comment(r, raw, i)
        for i, raw in enumerate(r.array(doc.get("comments", []), "comments"))
    ]
    if r.issues:
        raise GraphFormatError(r.issues)
    return Graph(
        nodes=tuple(n for n in nodes if n is not None),
        edges=tuple(e for e in edges if e is not None),
        parameters=parameters,
        comments=tuple(c for c in comments if c is not None),
    )


def _parse_node(r: _Reader, raw: Any, index: int) -> Node | None:
    where = f"nodes[{index}]"
    node_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    data = r.obj(raw, where, "GraphNode", node=node_id)
    if data is None:
        return None
    ident = r.string(data.get("id"), f"{where}.id") if "id" in data else None
    if ident is not None and not NODE_ID.fullmatch(ident):
        shown = ident if len(ident) <= 40 else ident[:37] + "…"
        r.fail(
            f"{where}.id",
            f"node id {shown!r} must be 1 to 64 letters, digits, '_' or '-'",
            node=ident,
        )
        ident = None
    module = (
        r.string(data.get("module"), f"{where}.module", node=node_id) if "module" in data else None
    )
    params = data.get("params", {})
    if not isinstance(params, dict):
        r.fail(f"{where}.params", f"expected an object, got {_json_type(params)}", node=node_id)
        params = {}
    for name, value in params.items():
        problem = _param_value_problem(value)
        if problem is not None:
            r.fail(f"{where}.params.{name}", problem, node=node_id, param=name)
    position = r.position(data.get("position", {"x": 0, "y": 0}), f"{where}.position", node=node_id)
    label = data.get("label")
    if label is not None and not isinstance(label, str):
        r.fail(f"{where}.label", "expected a string", node=node_id)
        label = None
    execution = _parse_execution(r, data.get("execution", {}), f"{where}.execution", node_id)
    if ident is None or module is None:
        return None
    return Node(
        id=ident,
        module=module,
        params=dict(params),
        position=position,
        label=label,
        execution=execution,
    )


def _parse_execution(r: _Reader, raw: Any, where: str, node: str | None) -> Execution:
    data = r.obj(raw, where, "Execution", node=node)
    if data is None:
        return Execution()
    timeout = data.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not 0 < timeout <= MAX_TIMEOUT
    ):
        r.fail(f"{where}.timeout", f"expected seconds above 0, at most {MAX_TIMEOUT:g}", node=node)
        timeout = None
    retries = data.get("retries")
    if retries is not None and (
        isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES
    ):
        r.fail(f"{where}.retries", f"expected a whole number from 0 to {MAX_RETRIES}", node=node)
        retries = None
    return Execution(None if timeout is None else float(timeout), retries)


def _parse_edge(r: _Reader, raw: Any, index: int) -> Edge | None:
    where = f"edges[{index}]"
    edge_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    data = r.obj(raw, where, "GraphEdge", edge=edge_id)
    if data is None:
        return None
    ident = r.string(data.get("id"), f"{where}.id") if "id" in data else None
    source = (
        r.port_ref(data.get("source"), f"{where}.source", edge_id) if "source" in data else None
    )
    target = (
        r.port_ref(data.get("target"), f"{where}.target", edge_id) if "target" in data else None
    )
    if ident is None or source is None or target is None:
        return None
    return Edge(id=ident, source=source, target=target)


def _parse_parameters(r: _Reader, raw: Any) -> dict[str, PipelineParameter]:
    if not isinstance(raw, dict):
        r.fail("parameters", f"expected an object, got {_json_type(raw)}")
        return {}
    out: dict[str, PipelineParameter] = {}
    for name, value in raw.items():
        where = f"parameters.{name}"
        data = r.obj(value, where, "PipelineParameter", param=name)
        if data is None:
            continue
        kind = data.get("type")
        if "type" in data and kind not in PIPELINE_TYPES:
            r.fail(f"{where}.type", f"expected one of {', '.join(PIPELINE_TYPES)}", param=name)
            kind = None
        default = data.get("default")
        if not _is_scalar(default):
            r.fail(f"{where}.default", "expected null, true or false, a number or text", param=name)
        description = data.get("description", "")
        if not isinstance(description, str):
            r.fail(f"{where}.description", "expected a string", param=name)
            description = ""
        if kind is not None:
            out[name] = PipelineParameter(type=kind, default=default, description=description)
    return out


def _parse_comment(r: _Reader, raw: Any, index: int) -> Comment | None:
    where = f"comments[{index}]"
    data = r.obj(raw, where, "GraphComment")
    if data is None:
        return None
    ident = r.string(data.get("id"), f"{where}.id") if "id" in data else None
    text = data.get("text")
    if not isinstance(text, str):
        r.fail(f"{where}.text", "expected a string")
        text = None
    position = r.position(data.get("position", {"x": 0, "y": 0}), f"{where}.position")
    size = {}
    for key in ("width", "height"):
        if data.get(key) is not None:
            size[key] = r.number(data[key], f"{where}.{key}")
    if ident is None or text is None:
        return None
    return Comment(id=ident, text=text, position=position, **size)


def closed_object(
    properties: dict[str, Any], required: list[str], description: str
) -> dict[str, Any]:
    """An OpenAPI 3.0 object schema that takes exactly `properties`, `required` always."""
    schema: dict[str, Any] = {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
    }
    if required:  # OpenAPI 3.0: a `required` list is never empty
        schema["required"] = required
    return schema


def document_schemas(ref: str = "#/components/schemas/") -> dict[str, dict[str, Any]]:
    """The graph document as OpenAPI 3.0 schema objects, referring to each other as `ref` + name.

    Two forms: `GraphDocument` is the canonical document graph_to_dict writes (every field it
    always writes is required); `GraphDocumentInput` is exactly what parse_graph accepts (the
    same fields, types and bounds, with the optional ones optional). Objects that differ between
    the two have an Input twin; the rest (`Position`, `PortRef`, ...) are shared.
    """
    out: dict[str, dict[str, Any]] = {}
    for suffix in ("", INPUT):
        for kind, schema in _document_objects(ref, suffix).items():
            if suffix and kind not in WRITTEN:
                continue
            required = FIELDS.get(kind, ((), ()))[0] + (() if suffix else WRITTEN.get(kind, ()))
            if required:
                schema["required"] = list(required)
            out[kind + (suffix if kind in WRITTEN else "")] = schema
    return out


def _document_objects(ref: str, suffix: str) -> dict[str, dict[str, Any]]:
    """Each object type of the document (named as in FIELDS, plus ParamValue), without
    `required`; references to the objects that have an Input twin carry `suffix`."""
    text = {"type": "string", "minLength": 1}
    number = {"type": "number"}

    def obj(kind: str, properties: dict[str, Any], description: str) -> dict[str, Any]:
        assert set(properties) == {*FIELDS[kind][0], *FIELDS[kind][1]}, kind
        return {
            "type": "object",
            "description": description,
            "properties": properties,
            "additionalProperties": False,
        }

    def to(name: str) -> dict[str, str]:
        return {"$ref": ref + name + (suffix if name in WRITTEN else "")}

    # null, text, a number or true/false ("nullable" counts only beside a "type" in OpenAPI 3.0)
    scalar = [{"type": "string", "nullable": True}, number, {"type": "boolean"}]
    return {
        "GraphDocument": obj(
            "GraphDocument",
            {
                "schema_version": {"type": "integer", "enum": [SCHEMA_VERSION]},
                "parameters": {"type": "object", "additionalProperties": to("PipelineParameter")},
                "nodes": {"type": "array", "items": to("GraphNode")},
                "edges": {"type": "array", "items": to("GraphEdge")},
                "comments": {"type": "array", "items": to("GraphComment")},
            },
            "A graph document (schema v1): what is saved, versioned, run, imported and exported.",
        ),
        "GraphNode": obj(
            "GraphNode",
            {
                "id": {"type": "string", "pattern": f"^{NODE_ID.pattern}$"},
                "module": {**text, "description": 'The module ref, "name@version".'},
                "params": {"type": "object", "additionalProperties": to("ParamValue")},
                "position": to("Position"),
                "label": {"type": "string", "nullable": True},
                "execution": to("Execution"),
            },
            "A module instance in a graph.",
        ),
        "ParamValue": {
            "oneOf": [*scalar, {"type": "array", "items": {"type": "string"}}],
            "description": 'A node param value; the string "$name" refers to pipeline '
            'parameter `name` ("$$" starts a literal "$").',
        },
        "Execution": obj(
            "Execution",
            {
                "timeout": {
                    **number,
                    "nullable": True,
                    "exclusiveMinimum": True,
                    "minimum": 0,
                    "maximum": MAX_TIMEOUT,
                    "description": "Seconds one attempt may take.",
                },
                "retries": {
                    "type": "integer",
                    "nullable": True,
                    "minimum": 0,
                    "maximum": MAX_RETRIES,
                    "description": "Retries of a failed attempt.",
                },
            },
            "A node's own limits for its step (else its module's, and the run's).",
        ),
        "Position": obj("Position", {"x": number, "y": number}, "A place on the canvas."),
        "GraphEdge": obj(
            "GraphEdge",
            {"id": text, "source": to("PortRef"), "target": to("PortRef")},
            "A wire from an output port to an input port.",
        ),
        "PortRef": obj("PortRef", {"node": text, "port": text}, "One end of a wire."),
        "PipelineParameter": obj(
            "PipelineParameter",
            {
                "type": {"type": "string", "enum": list(PIPELINE_TYPES)},
                "default": {"oneOf": scalar},
                "description": {"type": "string"},
            },
            'A value set per run, referenced from node params as "$name".',
        ),
        "GraphComment": obj(
            "GraphComment",
            {
                "id": text,
                "text": {"type": "string"},
                "position": to("Position"),
                "width": {**number, "nullable": True},
                "height": {**number, "nullable": True},
            },
            "A sticky note on the canvas.",
        ),
    }


def _position_dict(p: Position) -> dict[str, float]:
    return {"x": p.x, "y": p.y}


def graph_to_dict(graph: Graph) -> dict[str, Any]:
    """Return the canonical JSON-ready form of a graph (the inverse of parse_graph)."""
    nodes = []
    for n in graph.nodes:
        node: dict[str, Any] = {
            "id": n.id,
            "module": n.module,
            "params": n.params,
            "position": _position_dict(n.position),
        }
        if n.label is not None:
            node["label"] = n.label
        if n.execution.to_dict():
            node["execution"] = n.execution.to_dict()
        nodes.append(node)
    comments = []
    for c in graph.comments:
        comment: dict[str, Any] = {
            "id": c.id,
            "text": c.text,
            "position": _position_dict(c.position),
        }
        if c.width is not None:
            comment["width"] = c.width
        if c.height is not None:
            comment["height"] = c.height
        comments.append(comment)
    return {
        "schema_version": graph.schema_version,
        "parameters": {
            name: {"type": p.type, "default": p.default, "description": p.description}
            for name, p in graph.parameters.items()
        },
        "nodes": nodes,
        "edges": [
            {
                "id": e.id,
                "source": {"node": e.source.node, "port": e.source.port},
                "target": {"node": e.target.node, "port": e.target.port},
            }
            for e in graph.edges
        ],
        "comments": comments,
    }


def dumps(graph: Graph) -> str:
    """Serialize a graph to canonical JSON text (sorted keys, no insignificant whitespace)."""
    return json.dumps(graph_to_dict(graph), sort_keys=True, separators=(",", ":"))


def loads(text: str) -> Graph:
    """Parse graph JSON text strictly."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GraphFormatError([Issue("invalid_json", f"not valid JSON: {exc}")]) from exc
    return parse_graph(data)
