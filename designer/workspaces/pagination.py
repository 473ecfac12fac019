"""Paged list responses ({count, next, previous, results}) for API views, with their schema."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

MAX_PAGE = 1000  # items one page may hold: a larger ?limit= gets this many
MAX_OFFSET = 2**62  # beyond it a database cannot even count
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
SEARCH_CHARS = 200  # the longest ?q= a list filters by
_SEARCH = serializers.CharField(max_length=SEARCH_CHARS, allow_blank=True)  # no NUL, no surrogate


class Pagination(LimitOffsetPagination):
    """?limit= (clamped to MAX_PAGE) and ?offset= (400 beyond MAX_OFFSET): never an overflow."""

    max_limit = MAX_PAGE

    def get_limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        if not (raw.isascii() and raw.isdigit()) or int(raw.lstrip("0") or "0") < 1:
            raise serializers.ValidationError(
                {self.limit_query_param: [f"Expected a positive integer, got {raw!r}."]}
            )
        return MAX_PAGE if len(raw) > 18 else min(int(raw), MAX_PAGE)  # any larger: a full page

    def get_offset(self, request: Request) -> int:
        return query_int(request, self.offset_query_param, 0, 0, MAX_OFFSET)


PAGE_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"Items per page (a larger number gets {MAX_PAGE}).",
        "schema": {"type": "integer", "minimum": 1},
    },
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": "Items to skip.",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
    },
]


def paginated_response(
    view: APIView, queryset: QuerySet[Any], serializer: type[serializers.BaseSerializer], **ctx: Any
) -> Response:
    """Serialize one page of `queryset` (?limit=&offset=) in the shared list envelope."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, view.request, view=view)
    data = serializer(page, many=True, context={"request": view.request, **ctx}).data
    return paginator.get_paginated_response(data)


def query_int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    """Read an integer query parameter, refusing a value that is not a number or out of range."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise serializers.ValidationError({name: [f"Expected an integer, got {raw!r}."]}) from exc
    if not lo <= value <= hi:
        raise serializers.ValidationError({name: [f"Must be between {lo} and {hi}."]})
    return value


@cache
def paginated(serializer: type[serializers.BaseSerializer]) -> type[serializers.Serializer]:
    """The schema of a paged list of `serializer` items."""
    name = serializer.__name__.removesuffix("Serializer")
    return type(
        f"Paginated{name}List",
        (serializers.Serializer,),
        {
            "__doc__": f"A page of {name} items.",
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer(many=True),
        },
    )


def query_bool(request: Request, name: str) -> bool:
    """Read a boolean query parameter (true/false, 1/0; absent: false), refusing anything else."""
    raw = request.query_params.get(name)
    if raw is None:
        return False
    if raw.lower() not in BOOLEANS:
        raise serializers.ValidationError({name: [f"Expected true or false, got {raw!r}."]})
    return BOOLEANS[raw.lower()]


def int_parameter(name: str, lo: int, hi: int, description: str = "") -> OpenApiParameter:
    """An optional integer query parameter with the bounds query_int enforces."""
    schema = {"type": "integer", "minimum": lo, "maximum": hi}
    return OpenApiParameter(name, schema, required=False, description=description)  # type: ignore[arg-type]


def bool_parameter(name: str, description: str = "") -> OpenApiParameter:
    """An optional boolean query parameter, as query_bool reads it."""
    return OpenApiParameter(name, bool, required=False, description=description)


def query_search(request: Request, queryset: QuerySet[Any], *fields: str) -> QuerySet[Any]:
    """The rows whose `fields` contain ?q= in any case (all of them when it is absent or blank)."""
    raw = request.query_params.get("q")
    if raw is None:
        return queryset
    try:
        text = _SEARCH.run_validation(raw)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({"q": exc.detail}) from exc
    if not text:
        return queryset
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}__icontains": text})
    return queryset.filter(match)


def search_parameter(description: str) -> OpenApiParameter:
    """The optional ?q= that query_search reads."""
    schema = {"type": "string", "maxLength": SEARCH_CHARS}
    return OpenApiParameter("q", schema, required=False, description=description)  # type: ignore[arg-type]
