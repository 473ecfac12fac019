"""Param values: "$name" references, type and range checks, and resolution for the plan.

A node param whose value is the string "$name" (name: letters, digits, underscores, not starting
with a digit) refers to pipeline parameter `name`. A string starting with "$$" is a literal that
keeps one "$" ("$$5" means the text "$5"). Any other string is a literal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from designer.engine.registry import ParamSpec
from designer.engine.types import ParamType, pipeline_parameter_types

_REFERENCE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # an int param fits 64 bits whatever its spec declares


def reference(value: Any) -> str | None:
    """Return the pipeline parameter name if `value` is a "$name" reference, else None."""
    if isinstance(value, str):
        match = _REFERENCE.match(value)
        if match:
            return match.group(1)
    return None


def unescape(value: Any) -> Any:
    """Return a literal param value as meant: "$$x" becomes "$x"; other values are unchanged."""
    if isinstance(value, str) and value.startswith("$$"):
        return value[1:]
    return value


def describe(value: Any) -> str:
    """A short human rendering of a JSON value for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = repr(value) if len(value) <= 40 else repr(value[:37]) + "…"
        return text
    if isinstance(value, int) and abs(value) >= 10**20:
        return f"an integer of {len(str(abs(value)))} digits"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "a list" if value else "an empty list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (not isinstance(value, float) or math.isfinite(value))
    )


def check_value(spec: ParamSpec, value: Any) -> tuple[str, str] | None:
    """Check one (resolved, literal) value against its spec.

    Return None when fine, else (code, message) with code one of param_wrong_type,
    param_out_of_range, param_not_in_enum.
    """
    name = spec.name
    if value is None:
        if spec.nullable:
            return None
        return "param_wrong_type", f"param `{name}` must be set (null is not allowed)"
    kind = spec.type
    if kind is ParamType.INT:
        if not isinstance(value, int) or isinstance(value, bool):
            return "param_wrong_type", f"param `{name}` must be an integer, got {describe(value)}"
    elif kind is ParamType.FLOAT:
        if not _is_number(value):
            return "param_wrong_type", f"param `{name}` must be a number, got {describe(value)}"
    elif kind is ParamType.BOOL:
        if not isinstance(value, bool):
            return (
                "param_wrong_type",
                f"param `{name}` must be true or false, got {describe(value)}",
            )
    elif kind in (ParamType.STRING, ParamType.CODE, ParamType.COLUMN):
        if not isinstance(value, str):
            return "param_wrong_type", f"param `{name}` must be text, got {describe(value)}"
    elif kind is ParamType.ENUM:
        if not isinstance(value, str):
            return (
                "param_wrong_type",
                f"param `{name}` must be one of the choices, got {describe(value)}",
            )
        if value not in spec.choices:
            choices = ", ".join(spec.choices)
            return (
                "param_not_in_enum",
                f"param `{name}` must be one of {choices}; got {describe(value)}",
            )
    elif kind is ParamType.COLUMNS and (
        not isinstance(value, (list, tuple)) or not all(isinstance(c, str) for c in value)
    ):
        return (
            "param_wrong_type",
            f"param `{name}` must be a list of column names, got {describe(value)}",
        )
    if kind is ParamType.INT and not INT_MIN <= value <= INT_MAX:
        return "param_out_of_range", f"param `{name}` must fit in 64 bits, got {describe(value)}"
    if kind in (ParamType.INT, ParamType.FLOAT):
        if spec.minimum is not None and value < spec.minimum:
            return (
                "param_out_of_range",
                f"param `{name}` must be at least {_num(spec.minimum)}, got {describe(value)}",
            )
        if spec.maximum is not None and value > spec.maximum:
            return (
                "param_out_of_range",
                f"param `{name}` must be at most {_num(spec.maximum)}, got {describe(value)}",
            )
    return None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def normalize(spec: ParamSpec, value: Any) -> Any:
    """Return the canonical form of a checked value: floats as float, column lists as lists."""
    if value is None:
        return None
    if spec.type is ParamType.FLOAT:
        return float(value)
    if spec.type is ParamType.COLUMNS:
        return list(value)
    return value


def default_value(spec: ParamSpec) -> Any:
    """Return a spec's default in plain JSON form (tuples become lists)."""
    value = spec.default
    if isinstance(value, tuple):
        return list(value)
    return value


def check_pipeline_value(kind: str, value: Any) -> str | None:
    """Check a pipeline parameter value against its declared type; return a message or None."""
    if value is None:
        return None
    if kind == ParamType.INT.value and (not isinstance(value, int) or isinstance(value, bool)):
        return f"must be an integer, got {describe(value)}"
    if kind == ParamType.INT.value and not INT_MIN <= value <= INT_MAX:
        return f"must fit in 64 bits, got {describe(value)}"
    if kind == ParamType.FLOAT.value and not _is_number(value):
        return f"must be a number, got {describe(value)}"
    if kind == ParamType.BOOL.value and not isinstance(value, bool):
        return f"must be true or false, got {describe(value)}"
    if kind == ParamType.STRING.value and not isinstance(value, str):
        return f"must be text, got {describe(value)}"
    return None


def is_pipeline_type(kind: str) -> bool:
    """Whether `kind` is a type a pipeline parameter may have."""
    return kind in {t.value for t in pipeline_parameter_types()}


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def parse_text(kind: str, text: str) -> Any:
    """Turn command-line text ("0.3", "true") into a value of a pipeline parameter's type.

    Raises ValueError with a human message when the text does not fit the type.
    """
    if kind == ParamType.INT.value:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
    if kind == ParamType.FLOAT.value:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, got {text!r}")
        return number
    if kind == ParamType.BOOL.value:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    return text


def resolve_value(value: Any, values: Mapping[str, Any]) -> Any:
    """Substitute a "$name" reference from `values` (which must hold it); unescape literals."""
    name = reference(value)
    if name is not None:
        return values[name]
    return unescape(value)
