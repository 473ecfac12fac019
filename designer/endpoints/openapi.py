"""The OpenAPI 3.0 document of one endpoint version.

For a pipeline endpoint, from its parameters, inputs and outputs: call the version (JSON, or
multipart with files), follow the call, and download each output; parameter and input objects
refuse unknown names (`additionalProperties: false`), as the server does. For a real-time
endpoint, from its scorer: the rows a call sends (each column typed, nullable where the
training rows had missing values, unknown columns refused when the endpoint refuses them),
the scored rows it gets back, examples from the training rows, and every refusal.
"""

from __future__ import annotations

from typing import Any

from designer.endpoints.models import Endpoint, EndpointVersion
from designer.endpoints.results import MEDIA_TYPES
from designer.serving.openapi import ERROR_SCHEMAS, KEY_SCHEME, score_operation, scored_schema

JSON_TYPES = {"int": "integer", "float": "number", "bool": "boolean", "string": "string"}
STATUSES = ["queued", "running", "succeeded", "failed", "canceled"]
ERRORS = {
    400: "Wrong, unknown or missing parameters or inputs: `issues` names each one.",
    401: "No key, or an invalid or revoked one.",
    404: "No such endpoint, version or call for this key.",
    409: "The endpoint is disabled, or the call has not succeeded (yet).",
    410: "The output is no longer stored.",
    413: "The body is too large.",
    422: "The Idempotency-Key was used for a different call.",
    429: "The key's rate limit is exceeded: retry after Retry-After seconds.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: int) -> dict[str, Any]:
    """Responses with the shared error body."""
    return {
        str(code): {
            "description": ERRORS[code],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        for code in codes
    }


def _parameters_schema(interface: dict[str, Any]) -> dict[str, Any]:
    properties = {}
    for name, spec in interface["parameters"].items():
        prop: dict[str, Any] = {"type": JSON_TYPES[spec["type"]]}
        if spec["description"]:
            prop["description"] = spec["description"]
        if spec["default"] is not None:
            prop["default"] = spec["default"]
        properties[name] = prop
    required = sorted(n for n, s in interface["parameters"].items() if s["required"])
    schema: dict[str, Any] = {
        "type": "object",
        "description": "The pipeline's parameters; those with a default may be left out.",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def _inputs_schema(interface: dict[str, Any]) -> dict[str, Any]:
    properties = {
        entry["name"]: {**_ref("DatasetReference"), "description": f"Input `{entry['title']}`."}
        for entry in interface["inputs"]
    }
    schema: dict[str, Any] = {
        "type": "object",
        "description": "Inputs given as registered datasets (or send files: multipart). A call "
        "by key names only the datasets the endpoint grants keys; any other does not exist.",
        "properties": properties,
        "additionalProperties": False,
    }
    return schema


def _required_top(interface: dict[str, Any]) -> list[str]:
    return ["parameters"] if any(s["required"] for s in interface["parameters"].values()) else []


def _example(interface: dict[str, Any]) -> dict[str, Any]:
    return {
        name: spec["default"] if spec["default"] is not None else _placeholder(spec["type"])
        for name, spec in interface["parameters"].items()
    }


def _placeholder(kind: str) -> Any:
    return {"int": 1, "float": 0.5, "bool": True}.get(kind, "text")


def _request_body(interface: dict[str, Any]) -> dict[str, Any]:
    json_body = {
        "type": "object",
        "properties": {"parameters": _ref("Parameters"), "inputs": _ref("Inputs")},
        "additionalProperties": False,
    }
    if required := _required_top(interface):
        json_body["required"] = required
    files = {
        entry["name"]: {
            "type": "string",
            "format": "binary",
            "description": f"Input `{entry['title']}`: a CSV or Parquet file.",
        }
        for entry in interface["inputs"]
    }
    multipart: dict[str, Any] = {
        "type": "object",
        "properties": {"parameters": _ref("Parameters"), "inputs": _ref("Inputs"), **files},
        "additionalProperties": False,
    }
    required_files = [e["name"] for e in interface["inputs"] if e["required"]]
    if required_files:
        multipart["description"] = (
            "Each required input as a file here, or as a dataset in `inputs`: "
            + ", ".join(required_files)
        )
    return {
        "required": False,
        "content": {
            "application/json": {
                "schema": json_body,
                "example": {"parameters": _example(interface)},
            },
            "multipart/form-data": {
                "schema": multipart,
                "encoding": {
                    "parameters": {"contentType": "application/json"},
                    "inputs": {"contentType": "application/json"},
                },
            },
        },
    }


def _invoke_operation(endpoint: Endpoint, version: EndpointVersion, op_id: str) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "summary": f"Call {endpoint.name} (version {version.number})",
        "description": "Starts a run of the pinned pipeline version and answers at once. An "
        "unchanged call is served from the cache. Follow it at `status_url` or `websocket_url`.",
        "security": [{"endpointKey": []}],
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A retried call with the same key returns the same call.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        ],
        "requestBody": _request_body(version.interface),
        "responses": {
            "202": {
                "description": "The call was accepted; its run is queued or already finished.",
                "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                "content": {"application/json": {"schema": _ref("Invocation")}},
            },
            **_errors(400, 401, 404, 409, 413, 422, 429),
        },
    }


def _invocation_schema() -> dict[str, Any]:
    timestamp = {"type": "string", "format": "date-time"}
    nullable_time = {**timestamp, "nullable": True}
    return {
        "type": "object",
        "required": ["id", "run", "status", "status_url", "websocket_url", "outputs"],
        "properties": {
            "id": {"type": "integer"},
            "endpoint": {"type": "integer"},
            "endpoint_name": {"type": "string"},
            "version": {"type": "integer"},
            "run": {"type": "integer"},
            "status": {"type": "string", "enum": STATUSES},
            "caller": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": ["key", "user", "schedule"]},
                    "name": {"type": "string"},
                },
            },
            "idempotency_key": {"type": "string"},
            "created_at": timestamp,
            "started_at": nullable_time,
            "finished_at": nullable_time,
            "duration": {"type": "number", "nullable": True},
            "error": {"type": "string"},
            "inputs": {"type": "object"},
            "status_url": {"type": "string", "format": "uri"},
            "websocket_url": {"type": "string"},
            "outputs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "title": {"type": "string"},
                        "rows": {"type": "integer", "nullable": True},
                        "urls": {
                            "type": "object",
                            "properties": {f: {"type": "string"} for f in MEDIA_TYPES},
                        },
                    },
                },
            },
        },
    }


def _components(version: EndpointVersion) -> dict[str, Any]:
    return {
        "securitySchemes": {"endpointKey": KEY_SCHEME},
        "schemas": {
            "Parameters": _parameters_schema(version.interface),
            "Inputs": _inputs_schema(version.interface),
            "DatasetReference": {
                "type": "object",
                "required": ["dataset"],
                "properties": {
                    "dataset": {"type": "string", "minLength": 1, "maxLength": 200},
                    "version": {
                        "type": "string",
                        "minLength": 8,
                        "maxLength": 64,
                        "description": "A version digest (or a unique prefix); default latest.",
                    },
                },
                "additionalProperties": False,
            },
            "Invocation": _invocation_schema(),
            **ERROR_SCHEMAS,
        },
    }


def endpoint_openapi(endpoint: Endpoint, version: EndpointVersion, server: str) -> dict[str, Any]:
    """The OpenAPI document of `version` of `endpoint`, served from `server` (a base URL)."""
    base = f"/api/endpoints/{endpoint.pk}"
    paths: dict[str, Any] = {
        f"{base}/versions/{version.number}/invoke/": {
            "post": _invoke_operation(endpoint, version, f"invoke_version_{version.number}")
        }
    }
    if endpoint.default_version_id == version.pk:
        paths[f"{base}/invoke/"] = {"post": _invoke_operation(endpoint, version, "invoke")}
    invocation = {
        "name": "invocation",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    paths["/api/invocations/{invocation}/"] = {
        "get": {
            "operationId": "get_invocation",
            "summary": "A call's status (and its outputs' URLs once it succeeded)",
            "security": [{"endpointKey": []}],
            "parameters": [invocation],
            "responses": {
                "200": {
                    "description": "The call.",
                    "content": {"application/json": {"schema": _ref("Invocation")}},
                },
                **_errors(401, 404),
            },
        }
    }
    names = [o["name"] for o in version.interface["outputs"]]
    if names:
        paths["/api/invocations/{invocation}/outputs/{output}/"] = {
            "get": {
                "operationId": "download_output",
                "summary": "Download an output of a succeeded call",
                "security": [{"endpointKey": []}],
                "parameters": [
                    invocation,
                    {
                        "name": "output",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": names},
                    },
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": sorted(MEDIA_TYPES), "default": "csv"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The output table.",
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "application/json": {
                                "schema": {"type": "array", "items": {"type": "object"}}
                            },
                            MEDIA_TYPES["parquet"]: {
                                "schema": {"type": "string", "format": "binary"}
                            },
                        },
                    },
                    **_errors(400, 401, 404, 409, 410),
                },
            }
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"Endpoint {endpoint.name}",
            "version": str(version.number),
            "description": endpoint.description
            or f"Version {version.number} of endpoint {endpoint.name}.",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": _components(version),
    }


def _row_schema(columns: list[dict[str, Any]], closed: bool, description: str) -> dict[str, Any]:
    properties = {}
    for column in columns:
        prop: dict[str, Any] = {"type": column["type"]}
        if column["nullable"]:
            prop["nullable"] = True
        if column["type"] == "integer":
            prop["format"] = "int64"
        properties[column["name"]] = prop
    schema: dict[str, Any] = {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": not closed,
    }
    if columns:
        schema["required"] = [c["name"] for c in columns]
    return schema


def _score_operation(
    endpoint: Endpoint, version: EndpointVersion, op_id: str, pinned: bool
) -> dict[str, Any]:
    scoring = version.scoring or {}
    target = (
        f"version {version.number}"
        if pinned
        else "the default version (or the split's other version, for its share of calls)"
    )
    return score_operation(
        op_id,
        f"Score rows with {endpoint.name} ({target})",
        "Scores one or many rows at once (no run is started). "
        + (scoring.get("latency_note") or "")
        + " The answer names the version that scored them.",
        max_rows=scoring.get("max_rows", 1),
        examples=scoring.get("examples", []),
    )


def realtime_openapi(endpoint: Endpoint, version: EndpointVersion, server: str) -> dict[str, Any]:
    """The OpenAPI document of real-time `version` of `endpoint`, on the scoring service at
    `server` (a base URL)."""
    scoring = version.scoring or {}
    base = f"/score/endpoints/{endpoint.pk}/"
    paths: dict[str, Any] = {
        f"{base}versions/{version.number}/": {
            "post": _score_operation(endpoint, version, f"score_version_{version.number}", True)
        }
    }
    if endpoint.default_version_id == version.pk:
        paths[base] = {"post": _score_operation(endpoint, version, "score", False)}
    closed = endpoint.extra_columns == "refuse"
    inputs = scoring.get("input_schema", {}).get("columns", [])
    outputs = scoring.get("output_schema", {}).get("columns", [])
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"Real-time endpoint {endpoint.name}",
            "version": str(version.number),
            "description": (endpoint.description or f"Version {version.number} of {endpoint.name}.")
            + f" Runtime: {scoring.get('runtime', '?')} ({scoring.get('runtime_reason', '')}).",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "securitySchemes": {"endpointKey": KEY_SCHEME},
            "schemas": {
                "Row": _row_schema(
                    inputs,
                    closed,
                    "One row to score. "
                    + (
                        "Columns not listed here are refused."
                        if closed
                        else "Columns not listed here are ignored."
                    ),
                ),
                "ScoredRow": _row_schema(outputs, True, "One scored row."),
                "Scored": scored_schema(),
                **ERROR_SCHEMAS,
            },
        },
    }
