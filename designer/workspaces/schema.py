"""OpenAPI extensions (drf-spectacular): the API token scheme, strict request bodies."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents `Authorization: Bearer dsn_...` as an HTTP bearer scheme."""

    target_class = "designer.workspaces.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (dsn_...) created at /api/tokens/.",
        }


class StrictSerializerScheme(OpenApiSerializerExtension):
    """Request bodies of StrictSerializers refuse unknown fields: `additionalProperties: false`."""

    target_class = "designer.workspaces.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        return schema
