"""The OpenAPI schema's shared parts: every operation's error responses, the graph document.

Each operation lists the error statuses it can really answer, all with the one error body
(`Error`), derived from what the view declares: its access policy, path and query parameters,
and request body. Views add what only they can answer (409, 410, 422) with `error_responses`.
The query parameters an operation declares are the only ones the server takes: any other is a
400 naming it (`refuse_unknown_query_parameters`, called for every API view).
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import Any

from drf_spectacular import openapi
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import extend_schema_field
from rest_framework.request import Request
from rest_framework.serializers import JSONField, ModelSerializer

from designer.api_errors import ERROR_MEANINGS, ApiError, ErrorSerializer
from designer.engine.artifacts import summary_schemas
from designer.engine.plan import plan_schemas
from designer.engine.schema import document_schemas
from designer.graphs.diff import diff_schemas
from designer.workspaces.pagination import PAGE_PARAMETERS

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
LOW_ROLES = {"user", "viewer"}  # policies every signed-in caller (or member) meets


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus the error responses each operation can answer."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        ok = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if "/Paginated" in ok.get("schema", {}).get("$ref", ""):
            operation["parameters"] = [*operation.get("parameters", []), *PAGE_PARAMETERS]
            # a page of a list: name it so (client generators make method names of these)
            operation["operationId"] = re.sub(r"_retrieve$", "_list", operation["operationId"])
        error = {"$ref": self.resolve_serializer(ErrorSerializer, "response").ref["$ref"]}
        responses = operation["responses"]
        for code in self._error_statuses(operation):
            responses.setdefault(
                str(code),
                {
                    "description": ERROR_MEANINGS[code],
                    "content": {"application/json": {"schema": error}},
                },
            )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        body: dict[str, Any] | None = super()._get_request_body(direction)
        if body is not None and self.method == "PUT":
            body["required"] = True  # a PUT replaces the whole object: its body is required
        return body

    def _map_serializer(self, serializer: Any, direction: str, *args: Any) -> Any:
        schema: dict[str, Any] = super()._map_serializer(serializer, direction, *args)
        if direction == "response" and isinstance(force_instance(serializer), ModelSerializer):
            # a model's serializer writes every field of every object it answers with
            schema["required"] = sorted(schema.get("properties", {}))
        return schema

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        if isinstance(serializer, tuple):  # a body in one of several forms: oneOf them
            forms = [self._get_request_for_media_type(form, direction)[0] for form in serializer]
            return {"oneOf": forms}, True
        # drf-spectacular documents every PATCH body as partial; ours are partial only where the
        # view says so (ScheduleWriteSerializer(partial=True)): the others need their fields.
        if self.method == "PATCH" and not getattr(force_instance(serializer), "partial", False):
            self.method = "POST"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)

    def _error_statuses(self, operation: dict[str, Any]) -> set[int]:
        params = operation.get("parameters", [])
        codes = set()
        if operation.get("security") != [{}]:
            # 429: too many failed sign-ins from the caller's address; a user's writes past
            # DESIGNER_API_WRITE_RATE
            codes |= {401, 429}
        if any(p["in"] == "path" for p in params):
            codes.add(404)
        codes.add(400)  # at least an unknown query parameter (refuse_unknown_query_parameters)
        if "requestBody" in operation:
            codes |= {413, 415}
        if self.method not in SAFE_METHODS:
            codes.add(403)  # a session's write without its CSRF token
        policy = getattr(self.view, "policy", {}).get(self.method)
        if policy is not None and policy not in LOW_ROLES:
            codes.add(403)
        return codes


def component(name: str) -> dict[str, str]:
    """A reference to one of the schema's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_shaped(shape: str | type[Any]) -> type[JSONField]:
    """A JSON field (the server writes the value as it is stored) documented as `shape`: the
    name of a component the engine or an app defines (`postprocess` adds them), or a
    serializer that describes it."""
    name = shape if isinstance(shape, str) else shape.__name__.removesuffix("Serializer")
    field = type(f"{name}Field", (JSONField,), {"__doc__": f"JSON shaped as `{name}`."})
    documented: type[JSONField] = extend_schema_field(
        component(shape) if isinstance(shape, str) else shape
    )(field)
    return documented


def _null_beside_refs(node: Any) -> None:
    """`nullable` counts only beside a `type` in OpenAPI 3.0, so drf-spectacular's nullable
    reference (`allOf: [ref], nullable: true`) refuses null: write it `oneOf: [ref, null]`."""
    if isinstance(node, list):
        for item in node:
            _null_beside_refs(item)
    elif isinstance(node, dict):
        if node.get("nullable") is True and "type" not in node and len(node.get("allOf", ())) == 1:
            del node["nullable"]
            node["oneOf"] = [node.pop("allOf")[0], {"enum": [None]}]
        for value in node.values():
            _null_beside_refs(value)


# What a create operation makes (its path → the made object's path, and where its id is): the
# OpenAPI links that let a client (and Schemathesis's stateful phase) go on to read, change
# and delete it.
CREATED = {
    "/api/workspaces/": ("/api/workspaces/{id}/", "/id"),
    "/api/workspaces/{id}/graphs/": ("/api/graphs/{id}/", "/id"),
    "/api/workspaces/{id}/graphs/import/": ("/api/graphs/{id}/", "/id"),
    "/api/graphs/{id}/duplicate/": ("/api/graphs/{id}/", "/id"),
    "/api/runs/{id}/inference-graph/": ("/api/graphs/{id}/", "/id"),
    "/api/graphs/{id}/runs/": ("/api/runs/{id}/", "/id"),
    "/api/runs/{id}/resume/": ("/api/runs/{id}/", "/id"),
    "/api/workspaces/{id}/datasets/": ("/api/datasets/{id}/", "/dataset/id"),
    "/api/workspaces/{id}/endpoints/": ("/api/endpoints/{id}/", "/id"),
    "/api/workspaces/{id}/endpoint-keys/": ("/api/endpoint-keys/{id}/", "/id"),
    "/api/endpoints/{id}/schedules/": ("/api/schedules/{id}/", "/id"),
}


def postprocess(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular hook: add the components the engine and the diff define (the graph
    document, output summaries, compiled plans, document diffs) and the create links."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for shapes in (document_schemas, summary_schemas, plan_schemas, diff_schemas):
        schemas.update(shapes())
    _null_beside_refs(result)
    paths = result["paths"]
    for collection, (detail, pointer) in CREATED.items():
        created = paths[collection]["post"]["responses"]["201"]
        created["links"] = {
            f"{method.capitalize()}Created": {
                "operationId": operation["operationId"],
                "parameters": {"id": f"$response.body#{pointer}"},
                "description": f"{method.upper()} {detail} of the object this call made.",
            }
            for method, operation in paths[detail].items()
            if method in ("get", "patch", "delete")
        }
    return result


_generating = threading.Lock()
ROUTE_PARAMETER = re.compile(r"<(?:[^>:]+:)?(\w+)>")  # <converter:name> in a Django route


@cache
def operation_query_parameters() -> dict[tuple[str, str], frozenset[str]]:
    """Every operation's declared query parameters by (OpenAPI path, METHOD), from the schema
    the server serves (generated once per process, on the first call)."""
    with _generating:
        schema = SchemaGenerator().get_schema(public=True)
    return {
        (path, method.upper()): frozenset(
            p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
        )
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def operation_path(route: str) -> str:
    """The OpenAPI path of a Django route, as drf-spectacular writes it (<id:pk> → {id})."""
    return "/" + ROUTE_PARAMETER.sub(r"{\1}", route).replace("{pk}", "{id}")


def declared_query_parameters(route: str, method: str) -> frozenset[str]:
    """The query parameters the schema declares for this route and method (none if it has no
    such operation)."""
    method = "GET" if method == "HEAD" else method
    return operation_query_parameters().get((operation_path(route), method), frozenset())


def refuse_unknown_query_parameters(request: Request) -> None:
    """A 400 naming every query parameter the request's operation does not declare."""
    match = request.resolver_match
    if not request.query_params or request.method == "OPTIONS" or match is None:
        return  # most calls send no query: they never need the schema generated
    known = declared_query_parameters(match.route, request.method or "GET")
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
        raise ApiError(
            400,
            "unknown_parameter",
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}: {takes}.",
            [
                {"field": name, "code": "unknown_parameter", "message": "Not a parameter here."}
                for name in unknown
            ],
        )
