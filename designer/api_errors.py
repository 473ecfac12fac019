"""One JSON error shape for every API failure: {"detail", "code", "issues"}; never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Sized
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import pluralize
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from designer.sizes import size_text

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """A 4xx with its own code, message, issues and extra JSON fields, passed through unchanged."""

    def __init__(
        self,
        status_code: int,
        code: str,
        detail: str,
        issues: list[dict[str, Any]] | None = None,
        **extra: Any,
    ):
        self.status_code = status_code
        self.default_code = code
        self.detail = {"detail": detail, "code": code, "issues": issues or [], **extra}

    @classmethod
    def naming(
        cls, status_code: int, code: str, issues: list[dict[str, Any]], lead: str = ""
    ) -> ApiError:
        """An error naming every one of `issues`: its sentence is `lead` then their messages."""
        return cls(status_code, code, lead + "; ".join(i["message"] for i in issues), issues)


class IssueSerializer(serializers.Serializer):
    """One problem: a stable code, a message, and where (node, port, param, edge, field, nodes)."""

    code = serializers.CharField()
    message = serializers.CharField()
    node = serializers.CharField(required=False)
    port = serializers.CharField(required=False)
    param = serializers.CharField(required=False)
    edge = serializers.CharField(required=False)
    field = serializers.CharField(required=False)
    nodes = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Every node involved (a cycle)."
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every API error: a sentence, a machine-readable code, and every problem."""

    detail = serializers.CharField()
    code = serializers.CharField()
    issues = IssueSerializer(many=True)


ERROR_MEANINGS = {
    400: "The request is invalid; `issues` names every problem.",
    401: "Not signed in, or the token or key is invalid or revoked.",
    403: "Signed in, but the role in the workspace is too low.",
    404: "No such object, or not visible to the caller.",
    409: "The request conflicts with the object's state.",
    410: "The object is no longer stored.",
    412: "The object changed since the caller read it (If-Match is stale).",
    413: "The request body is too large.",
    415: "The body's media type is not accepted.",
    422: "The request is well-formed but cannot be honoured.",
    428: "The request needs a precondition header (If-Match).",
    429: "Too many calls: wait the seconds the Retry-After header gives.",
    503: "A service the server needs (the mail server) did not answer: nothing was changed.",
    507: "The server's disk is nearly full (below DESIGNER_MIN_FREE_DISK_MB free): nothing was "
    "saved.",
}


def problem_count(problems: Sized) -> str:
    """'1 problem', '3 problems': how many issues a refusal names."""
    return f"{len(problems)} problem{pluralize(len(problems))}"


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for these error statuses, each with the shared error body."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_MEANINGS[code]) for code in codes
    }


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 handler: the JSON error shape under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        message = f"No API route matches {request.path}."
        return JsonResponse({"detail": message, "code": "not_found", "issues": []}, status=404)
    return defaults.page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    """500 handler: the JSON error shape under /api/ (no traceback), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        body = {"detail": "Internal server error.", "code": "server_error", "issues": []}
        return JsonResponse(body, status=500)
    return defaults.server_error(request)


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
    if isinstance(exc, RequestDataTooBig):
        limit = size_text(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        exc = ApiError(413, "payload_too_large", f"The request body is larger than {limit}.")
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc) or "The request could not be read.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ProtectedError):
        names = sorted({f"{o._meta.verbose_name} {o}" for o in exc.protected_objects})[:5]
        exc = ApiError(
            409, "in_use", f"It is still used by {', '.join(names)}; delete those first."
        )
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
