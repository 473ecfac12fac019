"""The row schemas of a scorer (columns, types, nullability from the training rows) and the
check that turns a request's JSON rows into validated columns, naming every bad column."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

JsonType = Literal["integer", "number", "boolean", "string"]
ExtraColumns = Literal["ignore", "refuse"]
MAX_ROWS_NAMED = 5  # rows listed per column problem


class InputError(Exception):
    """A request the scorer refuses: HTTP `status`, a `code` and one issue per problem."""

    def __init__(
        self, status: int, code: str, message: str, issues: list[dict[str, Any]] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.issues = issues or []

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body: {detail, code, issues}."""
        return {"detail": str(self), "code": self.code, "issues": self.issues}


@dataclass(frozen=True)
class Column:
    """One input column: its JSON type, whether it may be null, its pandas dtype."""

    name: str
    type: JsonType
    nullable: bool
    dtype: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "nullable": self.nullable}


def _json_type(series: pd.Series) -> JsonType:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "string"


@dataclass(frozen=True)
class RowSchema:
    """The columns of a table's rows: what a request must send, or what a response holds."""

    columns: tuple[Column, ...]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> RowSchema:
        """The schema of a table's rows (for a request: the rows the Web service input received
        in training); a column is nullable when the table has missing values in it."""
        return cls(
            tuple(
                Column(
                    str(name),
                    _json_type(frame[name]),
                    bool(frame[name].isna().any()),
                    str(frame[name].dtype),
                )
                for name in frame.columns
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [c.to_dict() for c in self.columns]}


def request_rows(body: Any, max_rows: int) -> list[Any]:
    """The rows of a decoded request body: {"rows": [...]} or a bare list of row objects."""
    unknown = sorted(set(body) - {"rows"}) if isinstance(body, dict) else []
    if unknown:
        raise InputError(
            400,
            "invalid_body",
            f"Unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}: "
            'the body is {"rows": [...]}.',
            [
                {"field": name, "code": "unknown_field", "message": "Not a field."}
                for name in unknown
            ],
        )
    rows = body.get("rows") if isinstance(body, dict) else body
    if not isinstance(rows, list):
        raise InputError(
            400,
            "invalid_body",
            'Send {"rows": [{column: value, ...}, ...]} or a JSON list of row objects.',
        )
    if not rows:
        raise InputError(400, "no_rows", "The request has no rows to score.")
    if len(rows) > max_rows:
        raise InputError(
            413,
            "too_many_rows",
            f"The request has {len(rows):,} rows; at most {max_rows:,} are scored per call.",
        )
    bad = [i for i, row in enumerate(rows) if not isinstance(row, dict)]
    if bad:
        raise InputError(
            400,
            "invalid_body",
            f"Every row must be a JSON object of column values; rows {_rows(bad)} are not.",
        )
    return rows


def _rows(indexes: Sequence[int]) -> str:
    shown = ", ".join(str(i) for i in indexes[:MAX_ROWS_NAMED])
    return shown + (f", … ({len(indexes)} in all)" if len(indexes) > MAX_ROWS_NAMED else "")


_MISSING = object()


LARGEST_FLOAT = 1.7976931348623157e308
INT64 = 2**63


def _accepts(kind: JsonType, value: Any) -> bool:
    if kind == "number":
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and -LARGEST_FLOAT <= value <= LARGEST_FLOAT
        )
    if kind == "integer":
        if isinstance(value, float):
            return value.is_integer() and -INT64 <= value < INT64
        return isinstance(value, int) and not isinstance(value, bool) and -INT64 <= value < INT64
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


_PLAIN_TYPES: dict[str, tuple[type, ...]] = {
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "string": (str,),
}


def _plain(kind: JsonType, values: list[Any]) -> bool:
    """The common case, checked fast: every value present, of the column's own JSON type, and
    numbers within float64 (no NaN, no infinity) or int64."""
    allowed = _PLAIN_TYPES[kind]
    if not all(type(v) in allowed for v in values):
        return False
    if kind == "number":
        return all(-LARGEST_FLOAT <= v <= LARGEST_FLOAT for v in values)
    if kind == "integer":
        return all(-INT64 <= v < INT64 for v in values)
    return True


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def check_rows(
    rows: Sequence[Mapping[str, Any]], schema: RowSchema, extra: ExtraColumns
) -> dict[str, list[Any]]:
    """The rows as validated columns {name: values} (None for nulls), or InputError (422)
    naming every missing, mistyped, null-where-not-allowed and (when refused) extra column."""
    issues: list[dict[str, Any]] = []
    columns: dict[str, list[Any]] = {}
    for column in schema.columns:
        values = [row.get(column.name, _MISSING) for row in rows]
        if _plain(column.type, values):
            columns[column.name] = values
            continue
        missing = [i for i, v in enumerate(values) if v is _MISSING]
        if missing:
            issues.append(_issue(column, "missing", "is missing", missing))
            continue
        nulls = [i for i, v in enumerate(values) if _is_null(v)]
        if nulls and not column.nullable:
            issues.append(
                _issue(column, "null", "is null (or NaN), which this column does not allow", nulls)
            )
        mistyped = [
            i for i, v in enumerate(values) if not _is_null(v) and not _accepts(column.type, v)
        ]
        if mistyped:
            got = _described(values[mistyped[0]])
            issues.append(
                _issue(column, "type", f"must be {_article(column.type)} (got {got})", mistyped)
            )
        columns[column.name] = [None if _is_null(v) else v for v in values]
    if extra == "refuse":
        known = {c.name for c in schema.columns}
        unknown: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            for name in row:
                if name not in known:
                    unknown.setdefault(name, []).append(i)
        for name, where in sorted(unknown.items()):
            issues.append(
                {
                    "column": name,
                    "code": "unknown_column",
                    "rows": where[:MAX_ROWS_NAMED],
                    "message": f"column {name!r} is not an input of this endpoint, in rows "
                    + _rows(where),
                }
            )
    if issues:
        raise InputError(
            422,
            "invalid_rows",
            "The rows do not match the input schema: "
            + "; ".join(i["message"] for i in issues[:10]),
            issues,
        )
    return columns


def _described(value: Any) -> str:
    """A wrong value as a JSON client would name it."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int):
        return str(value) if abs(value) < INT64 else f"an integer of {value.bit_length()} bits"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _article(kind: JsonType) -> str:
    return {
        "integer": "a 64-bit integer",
        "number": "a finite number",
        "boolean": "true or false",
    }.get(kind, "a string")


def _issue(column: Column, code: str, problem: str, rows: list[int]) -> dict[str, Any]:
    return {
        "column": column.name,
        "code": code,
        "rows": rows[:MAX_ROWS_NAMED],
        "message": f"column {column.name!r} {problem} in rows {_rows(rows)}",
    }


def to_frame(columns: Mapping[str, list[Any]], schema: RowSchema) -> pd.DataFrame:
    """The validated columns as a table with the training rows' dtypes."""
    frame = pd.DataFrame({c.name: columns[c.name] for c in schema.columns})
    for column in schema.columns:
        try:
            frame[column.name] = frame[column.name].astype(pd.api.types.pandas_dtype(column.dtype))
        except (TypeError, ValueError):
            continue  # e.g. None in an integer column the schema marks nullable: leave it
    return frame
