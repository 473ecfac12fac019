"""Request body parsers: over-size bodies get 413 before they are read, over-deep JSON a 400."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.http import parse_header_parameters
from rest_framework import exceptions, parsers
from rest_framework.utils.json import strict_constant

from designer.sizes import size_text

MAX_JSON_DEPTH = 64  # nesting levels of arrays and objects a JSON body may have

_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
# an escaped NUL in JSON text (not an escaped backslash followed by "u0000")
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_ESCAPED_NUL = rb"\u0000"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes


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
            f"The request body is {size_text(length)}; this endpoint accepts at most "
            f"{size_text(limit)}."
        )


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in JSON text, counted without parsing (no recursion)."""
    steps = _STRINGS.sub(b"", raw).translate(_STEPS, _NOT_BRACKETS)
    return int(np.frombuffer(steps, dtype=np.int8).cumsum().max(initial=0))


def load_json(raw: bytes, what: str = "The request body") -> Any:
    """Parse JSON text (strictly: no NaN); 400 when malformed or nested over MAX_JSON_DEPTH."""
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise exceptions.ParseError(
            f"{what} nests arrays and objects deeper than {MAX_JSON_DEPTH} levels."
        )
    # no database stores a NUL in JSON text (PostgreSQL's jsonb refuses it); the pattern, which
    # cannot start from a literal, is searched only where its escape occurs (~8 ms at 240 KB)
    if _ESCAPED_NUL in raw and _NUL.search(raw):
        raise exceptions.ParseError(f"{what} holds a NUL character (\\u0000).")
    try:
        return json.loads(raw, parse_constant=strict_constant)
    except ValueError as exc:
        raise exceptions.ParseError(f"{what} is not valid JSON: {exc}") from exc


class LimitedJSONParser(parsers.JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE (larger: 413) and MAX_JSON_DEPTH deep."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None:
            check_size(request.META, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return load_json(stream.read() if stream is not None else b"")


class LimitedMultiPartParser(parsers.MultiPartParser):
    """Multipart uploads up to the setting named by `limit_setting`; larger ones get 413, and
    any gets 507 when it would take the data disk below its floor (read before any of it is)."""

    limit_setting = "DESIGNER_MAX_UPLOAD_BYTES"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None:
            check_size(request.META, getattr(settings, self.limit_setting))
            from designer.runs import room  # it builds on the API's errors, set up after DRF

            room.require_disk(int(request.META.get("CONTENT_LENGTH") or 0))
        parsed = super().parse(stream, media_type, parser_context)
        if request is not None and not parsed.data and not parsed.files:
            refuse_partless(request.META)
        return parsed


def refuse_partless(meta: dict[str, Any]) -> None:
    """400 for a multipart body longer than its closing delimiter that held no named part
    (Django skips a part without a Content-Disposition name silently: the body read as empty)."""
    _, params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return  # check_size refused it already
    if length > len(params.get("boundary", "")) + 8:  # "--", "--" and a line break each side
        raise exceptions.ParseError(
            "The multipart body holds no part with a Content-Disposition name."
        )


class SmallMultiPartParser(LimitedMultiPartParser):
    """Multipart forms carrying a small file (a graph document): the JSON body limit applies."""

    limit_setting = "DATA_UPLOAD_MAX_MEMORY_SIZE"
