"""One JSON error shape for every API failure: {"detail", "code", "issues"}; never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def _flatten(detail: Any, path: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error details into a flat list of {field, code, message}."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            field = key if key != "non_field_errors" else ""
            out += _flatten(value, f"{path}.{field}" if path and field else (field or path))
        return out
    if isinstance(detail, list):
        if all(not isinstance(d, (dict, list)) for d in detail):
            return [_issue(path, d) for d in detail]
        out = []
        for index, value in enumerate(detail):
            out += _flatten(value, f"{path}[{index}]")
        return out
    return [_issue(path, detail)]


def _issue(field: str, detail: Any) -> dict[str, str]:
    issue = {"code": getattr(detail, "code", "invalid"), "message": str(detail)}
    if field:
        issue["field"] = field
    return issue


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: named problems for 4xx, a bare message for unexpected errors."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled API error", exc_info=exc)
        return Response(
            {"detail": "Internal server error.", "code": "server_error", "issues": []},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        issues = _flatten(exc.detail)
        summary = "; ".join(
            f"{i['field']}: {i['message']}" if "field" in i else i["message"] for i in issues
        )
        response.data = {"detail": summary or "Invalid input.", "code": "invalid", "issues": issues}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        if isinstance(detail, dict) and "detail" in detail:
            response.data = {"code": exc.default_code, "issues": [], **detail}
        else:
            response.data = {"detail": str(detail), "code": exc.default_code, "issues": []}
    return response
