"""The OpenAPI schema's shared parts: every operation's error responses, the graph document.

Each operation lists the error statuses it can really answer, all with the one error body
(`Error`), derived from what the view declares: its access policy, path and query parameters,
and request body. Views add what only they can answer (409, 410, 422) with `error_responses`.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance
from rest_framework.serializers import ModelSerializer

from designer.api_errors import ERROR_MEANINGS, ErrorSerializer
from designer.engine.schema import document_schemas
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
            codes |= {401, 429}  # 429: too many failed sign-ins from the caller's address
        if any(p["in"] == "path" for p in params):
            codes.add(404)
        if any(p["in"] in ("query", "header") for p in params):
            codes.add(400)
        if "requestBody" in operation:
            codes |= {400, 413, 415}
        if self.method not in SAFE_METHODS:
            codes.add(403)  # a session's write without its CSRF token
        policy = getattr(self.view, "policy", {}).get(self.method)
        if policy is not None and policy not in LOW_ROLES:
            codes.add(403)
        return codes


def component(name: str) -> dict[str, str]:
    """A reference to one of the schema's components."""
    return {"$ref": f"#/components/schemas/{name}"}


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
    """drf-spectacular hook: add the graph document's components and the create links."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(document_schemas())
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
