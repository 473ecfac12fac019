"""URL converter for database ids: 1 to 18 digits, so an id never overflows a 64-bit column."""

from __future__ import annotations

from django.urls import register_converter


class IdConverter:
    """`<id:name>`: a positive integer that fits a BigAutoField (longer ones do not match → 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
