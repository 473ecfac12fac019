"""The scoring process's own OpenAPI 3.0 document (served at GET /score/openapi.json), and the
parts each real-time endpoint version's document (designer/endpoints/openapi.py) shares with
it: the score operation, the refusals it can answer and the error body.

The process serves every deployed endpoint, so its document types a row as columns of scalar
values; a version's own document names and types the columns of its endpoint.
"""

from __future__ import annotations

from typing import Any

from designer.serving.schema import MAX_ROWS_NAMED

REF = "#/components/schemas/"
MAX_ID = 10**18 - 1  # server.py's routes take up to 18 digits (longer ids: 404)
# what each refusal of a score call means (every one has the Error body)
REFUSALS = {
    400: "The body is empty, not JSON, or not rows.",
    401: "No key, or an invalid or revoked one.",
    404: "No such endpoint or version for this key (or no default version).",
    409: "The endpoint is disabled.",
    413: "The body is over the size limit, or the call has too many rows.",
    422: "The rows do not match the input schema: `issues` names each column "
    "(missing, type, null) with its rows, or the rows cannot be scored.",
    429: "The key's rate limit is exceeded: retry after Retry-After seconds.",
    503: "The version cannot be loaded on the scoring service.",
}
SCALAR = {"oneOf": [{"type": "string", "nullable": True}, {"type": "number"}, {"type": "boolean"}]}
KEY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "An endpoint key (dse_...), created on the endpoint's page.",
}


def ref(name: str) -> dict[str, str]:
    """A reference to one of the document's schemas."""
    return {"$ref": REF + name}


def refusals(*codes: int) -> dict[str, Any]:
    """Responses with the shared error body, for these statuses of a score call."""
    return {
        str(code): {
            "description": REFUSALS[code],
            "content": {"application/json": {"schema": ref("Error")}},
            **(
                {"headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 0}}}}
                if code == 429
                else {}
            ),
        }
        for code in codes
    }


ERROR_SCHEMAS: dict[str, Any] = {
    "Issue": {
        "type": "object",
        "description": "One problem: the field, column or node it concerns, and what is wrong.",
        "required": ["code", "message"],
        "properties": {
            "field": {"type": "string"},
            "column": {"type": "string"},
            "node": {"type": "string"},
            "rows": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0},
                "maxItems": MAX_ROWS_NAMED,
                "description": "The first rows (0-based) with this problem.",
            },
            "code": {"type": "string"},
            "message": {"type": "string"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["detail", "code", "issues"],
        "properties": {
            "detail": {"type": "string"},
            "code": {"type": "string"},
            "issues": {"type": "array", "items": ref("Issue")},
        },
    },
}


def scored_schema() -> dict[str, Any]:
    """The answer of a score call (its rows are the document's `ScoredRow`)."""
    return {
        "type": "object",
        "required": ["version", "rows"],
        "properties": {
            "version": {
                "type": "integer",
                "minimum": 1,
                "description": "The endpoint version that scored the rows.",
            },
            "rows": {"type": "array", "items": ref("ScoredRow")},
        },
        "additionalProperties": False,
    }


def score_operation(
    op_id: str,
    summary: str,
    description: str,
    *,
    max_rows: int,
    examples: list[dict[str, Any]],
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The POST that scores rows (the document's `Row`): {"rows": [...]} or a bare list."""
    rows = {"type": "array", "items": ref("Row"), "minItems": 1, "maxItems": max_rows}
    body: dict[str, Any] = {
        "schema": {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["rows"],
                    "properties": {"rows": rows},
                    "additionalProperties": False,
                },
                rows,
            ]
        }
    }
    if examples:
        body["example"] = {"rows": examples[:1]}
        body["examples"] = {
            "one": {"summary": "One row", "value": {"rows": examples[:1]}},
            "many": {"summary": "Several rows", "value": {"rows": examples}},
        }
    return {
        "operationId": op_id,
        "summary": summary,
        "description": description,
        "security": [{"endpointKey": []}],
        **({"parameters": parameters} if parameters else {}),
        "requestBody": {"required": True, "content": {"application/json": body}},
        "responses": {
            "200": {
                "description": "The scored rows, in the order sent.",
                "content": {"application/json": {"schema": ref("Scored")}},
            },
            **refusals(400, 401, 404, 409, 413, 422, 429, 503),
        },
    }


def _id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


def service_openapi(max_rows: int, server: str = "/") -> dict[str, Any]:
    """The scoring process's document: its health check, this document, and the score calls
    of any endpoint (default version, or a pinned one), rows typed as columns of scalars."""
    endpoint = _id("endpoint", "The real-time endpoint's id.")
    version = _id("version", "The version number.")
    latency = "Scores one or many rows at once (no run is started); the answer names the version."
    row = {
        "type": "object",
        "additionalProperties": SCALAR,
        "description": "One row: column → value. The endpoint's own document "
        "(GET /api/endpoints/{id}/openapi/ on the web server) names and types its columns.",
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Pipeline designer scoring service",
            "version": "1.0.0",
            "description": "Scores rows with the deployed versions of real-time endpoints.",
        },
        "servers": [{"url": server}],
        "paths": {
            "/score/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the process answers",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "It does.",
                            "content": {"application/json": {"schema": ref("Health")}},
                        }
                    },
                }
            },
            "/score/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The scoring service's OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/score/endpoints/{endpoint}/": {
                "post": score_operation(
                    "score",
                    "Score rows with an endpoint's default version",
                    latency + " A traffic split sends its share of calls to its other version.",
                    max_rows=max_rows,
                    examples=[],
                    parameters=[endpoint],
                )
            },
            "/score/endpoints/{endpoint}/versions/{version}/": {
                "post": score_operation(
                    "score_version",
                    "Score rows with one version of an endpoint",
                    latency,
                    max_rows=max_rows,
                    examples=[],
                    parameters=[endpoint, version],
                )
            },
        },
        "components": {
            "securitySchemes": {"endpointKey": KEY_SCHEME},
            "schemas": {
                "Health": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"type": "string", "enum": ["ok"]}},
                    "additionalProperties": False,
                },
                "Row": row,
                "ScoredRow": {**row, "description": "One scored row: column → value."},
                "Scored": scored_schema(),
                **ERROR_SCHEMAS,
            },
        },
    }
