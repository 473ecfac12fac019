"""Request body parsers that refuse over-size bodies with 413 before reading them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers


class PayloadTooLarge(exceptions.APIException):
    """The request body is larger than the server accepts (413)."""

    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def check_size(meta: dict[str, Any], limit: int) -> None:
    """Raise 413 when the declared Content-Length exceeds `limit` bytes."""
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise exceptions.ParseError("Content-Length is not a number.") from exc
    if length > limit:
        raise PayloadTooLarge(
            f"The request body is {length} bytes; this endpoint accepts at most {limit} bytes."
        )


class LimitedJSONParser(parsers.JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE; larger ones get 413."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None:
            check_size(request.META, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return super().parse(stream, media_type, parser_context)


class LimitedMultiPartParser(parsers.MultiPartParser):
    """Multipart uploads up to the setting named by `limit_setting`; larger ones get 413."""

    limit_setting = "DESIGNER_MAX_UPLOAD_BYTES"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None:
            check_size(request.META, getattr(settings, self.limit_setting))
        return super().parse(stream, media_type, parser_context)


class SmallMultiPartParser(LimitedMultiPartParser):
    """Multipart forms carrying a small file (a graph document): the JSON body limit applies."""

    limit_setting = "DATA_UPLOAD_MAX_MEMORY_SIZE"
