"""The input schema of a scorer (columns, types, nullability from the training rows) and the
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
class InputSchema:
    """The columns a request's rows must have."""

    columns: tuple[Column, ...]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> InputSchema:
        """The schema of the rows a Web service input received in training: a column is
        nullable when the training rows had missing values in it."""
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

    def json_schema(self) -> dict[str, Any]:
        """A JSON Schema of one row (for OpenAPI documents)."""
        properties = {
            c.name: {"type": [c.type, "null"] if c.nullable else c.type} for c in self.columns
        }
        return {
            "type": "object",
            "properties": properties,
            "required": [c.name for c in self.columns],
        }


def request_rows(body: Any, max_rows: int) -> list[Any]:
    """The rows of a decoded request body: {"rows": [...]} or a bare list of row objects."""
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


def _accepts(kind: JsonType, value: Any) -> bool:
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "integer":
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, int) and not isinstance(value, bool)
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
    no NaN (NaN != NaN)."""
    allowed = _PLAIN_TYPES[kind]
    return all(type(v) in allowed for v in values) and (
        kind != "number" or all(v == v for v in values)
    )


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def check_rows(
    rows: Sequence[Mapping[str, Any]], schema: InputSchema, extra: ExtraColumns
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
            got = type(values[mistyped[0]]).__name__
            issues.append(
                _issue(column, "type", f"must be {_article(column.type)} (got {got})", mistyped)
            )
        columns[column.name] = [None if _is_null(v) else v for v in values]
    if extra == "refuse":
        known = {c.name for c in schema.columns}
        unknown = sorted({k for row in rows for k in row if k not in known})
        for name in unknown:
            issues.append(
                {
                    "column": name,
                    "code": "unknown_column",
                    "message": f"column {name!r} is not an input of this endpoint",
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


def _article(kind: JsonType) -> str:
    return {"integer": "an integer", "number": "a number", "boolean": "true or false"}.get(
        kind, "a string"
    )


def _issue(column: Column, code: str, problem: str, rows: list[int]) -> dict[str, Any]:
    return {
        "column": column.name,
        "code": code,
        "rows": rows[:MAX_ROWS_NAMED],
        "message": f"column {column.name!r} {problem} in rows {_rows(rows)}",
    }


def to_frame(columns: Mapping[str, list[Any]], schema: InputSchema) -> pd.DataFrame:
    """The validated columns as a table with the training rows' dtypes."""
    frame = pd.DataFrame({c.name: columns[c.name] for c in schema.columns})
    for column in schema.columns:
        try:
            frame[column.name] = frame[column.name].astype(pd.api.types.pandas_dtype(column.dtype))
        except (TypeError, ValueError):
            continue  # e.g. None in an integer column the schema marks nullable: leave it
    return frame
