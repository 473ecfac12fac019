"""OpenAPI extensions (drf-spectacular): the API token scheme, strict request bodies (no
unknown fields, no blank text where the server needs some, files as binary)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from rest_framework import serializers

TEXT = r"^[^\x00]*$"
# what str.strip() (DRF's trim) takes away, spelt out: a regex's \s differs between Python and
# ECMAScript (the \x1c-\x1f separators are space only to Python)
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\x00]*[^\x00{_SPACE}][^\x00]*$"


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
        if getattr(self.target, "needs_a_field", False):
            schema["minProperties"] = 1
        for name, field in self.target.fields.items():
            prop = schema["properties"].get(name, {})
            if isinstance(field, serializers.FileField):
                prop.update(type="string", format="binary")  # sent as a file part
            elif isinstance(field, serializers.CharField):
                # DRF refuses NUL characters, and (unless allow_blank) text that is only spaces
                prop.setdefault("pattern", TEXT if field.allow_blank else NOT_BLANK)
                if not field.allow_blank:
                    prop.setdefault("minLength", 1)
        return schema
