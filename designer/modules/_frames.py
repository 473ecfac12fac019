"""Shared checks for module implementations: inputs, columns and dtypes, with clear errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.engine.hashing import canonical_json, json_safe

LABEL_ATTR = "designer_label"  # DataFrame.attrs key: the column marked as label (Edit metadata)


def frame(ctx: StepContext, port: str, *, allow_empty: bool = False) -> pd.DataFrame:
    """Return the DataFrame on an input port; a missing or empty table is a StepError."""
    value = ctx.input(port)
    if value is None:
        raise StepError(f"input '{port}' is not connected", port=port)
    if not isinstance(value, pd.DataFrame):
        raise StepError(f"input '{port}' expects a table, got {type(value).__name__}", port=port)
    if not allow_empty and value.empty:
        raise StepError(f"input '{port}' has no rows", port=port)
    return value


def optional_frame(ctx: StepContext, port: str) -> pd.DataFrame | None:
    """Return the DataFrame on an optional input port, or None when it is unconnected."""
    return None if ctx.input(port) is None else frame(ctx, port, allow_empty=True)


def column_list(value: Any) -> list[str]:
    """Normalize a columns param (list, tuple, comma-separated string or None) to a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [c.strip() for c in value.split(",") if c.strip()]
    return [str(c) for c in value]


def _available(df: pd.DataFrame) -> str:
    names = [str(c) for c in df.columns]
    shown = ", ".join(names[:20])
    return shown + (f", … ({len(names)} in all)" if len(names) > 20 else "")


def require_columns(df: pd.DataFrame, columns: Iterable[str], param: str) -> list[str]:
    """Check that every named column exists; the error names the param and the missing column."""
    names = list(columns)
    missing = [c for c in names if c not in df.columns]
    if missing:
        quoted = ", ".join(f"'{c}'" for c in missing)
        noun = "column" if len(missing) == 1 else "columns"
        raise StepError(
            f"{param}: {noun} {quoted} not found; the table has: {_available(df)}", param=param
        )
    return names


def require_numeric(df: pd.DataFrame, columns: Sequence[str], param: str) -> None:
    """Check that every named column is numeric (booleans count); name the offending columns."""
    bad = [
        c
        for c in columns
        if not (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
    ]
    if bad:
        desc = ", ".join(f"'{c}' ({df[c].dtype})" for c in bad)
        raise StepError(
            f"{param}: expected numeric columns, but {desc} is not numeric", param=param
        )


def numeric_columns(df: pd.DataFrame) -> list[str]:
    """Return the numeric (non-boolean) columns of a table, in order."""
    return [
        str(c)
        for c in df.columns
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    ]


def chosen_numeric_columns(ctx: StepContext, df: pd.DataFrame) -> list[str]:
    """The numeric columns a step works on: those its `columns` param names (checked numeric)
    or else every numeric column, less those its `exclude` param names."""
    return numeric_columns_chosen_by(ctx.params, df)


def numeric_columns_chosen_by(params: Mapping[str, Any], df: pd.DataFrame) -> list[str]:
    """`chosen_numeric_columns` from the params alone (a real-time kernel resolving a step)."""
    chosen = require_columns(df, column_list(params.get("columns")), "columns")
    excluded = set(require_columns(df, column_list(params.get("exclude")), "exclude"))
    require_numeric(df, chosen, "columns")
    return [c for c in (chosen or numeric_columns(df)) if c not in excluded]


def fittable_numeric_columns(ctx: StepContext, df: pd.DataFrame, doing: str) -> list[str]:
    """`chosen_numeric_columns`, refused by name when there are none or one has no value."""
    columns = chosen_numeric_columns(ctx, df)
    if not columns:
        raise StepError(f"columns: no numeric column to {doing}", param="columns")
    empty = [c for c in columns if df[c].isna().all()]
    if empty:
        raise StepError(
            f"dataset: {', '.join(map(repr, empty[:10]))} have no values to {doing}",
            port="dataset",
        )
    return columns


def output_targets(df: pd.DataFrame, columns: Sequence[str], suffix: str | None) -> dict[str, str]:
    """Each column's output column: itself (replaced in place), or `<column>_<suffix>`
    appended, refused by name when it exists already."""
    targets = {c: f"{c}_{suffix}" if suffix else c for c in columns}
    if suffix:
        require_new_columns(df, targets.values())
    return targets


RENAME_FIRST = "rename them first (Edit metadata)"  # advice where no mode replaces columns


def require_new_columns(
    df: pd.DataFrame,
    names: Iterable[str],
    advice: str = "rename them or replace the columns instead (mode)",
) -> None:
    """Refuse appended columns that `df` has already, naming them, with what to do instead."""
    clashing = [n for n in names if n in df.columns]
    if clashing:
        raise StepError(
            f"dataset: {', '.join(map(repr, clashing[:10]))} already exist; {advice}",
            port="dataset",
        )


def categorical_columns(df: pd.DataFrame) -> list[str]:
    """Return the text, categorical and boolean columns of a table, in order (not the nested)."""
    nested = set(nested_columns(df))
    return [
        str(c)
        for c in df.columns
        if (not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
        and c not in nested
    ]


NESTED_VALUES = (list, tuple, dict, np.ndarray)  # a Parquet list, struct or map cell in pandas


def nested_columns(df: pd.DataFrame, columns: Iterable[str] | None = None) -> list[str]:
    """The columns (of `columns`, by default all) whose cells are lists, arrays, records or maps,
    as pandas reads a Parquet list, struct or map column: judged by their first value."""
    found = []
    for c in df.columns if columns is None else columns:
        series = df[c]
        if not pd.api.types.is_object_dtype(series):
            continue
        first = series.first_valid_index()
        if first is not None and isinstance(series[first], NESTED_VALUES):
            found.append(str(c))
    return found


def comparable(df: pd.DataFrame) -> pd.DataFrame:
    """The table with each nested column's cells as their canonical JSON text, so that they can
    be compared, counted, grouped or stored where lists and records cannot (unhashable, SQL)."""
    nested = nested_columns(df)
    if not nested:
        return df
    out = df.copy(deep=False)
    for c in nested:
        out[c] = df[c].map(_json_text, na_action="ignore").astype("str")
    return out


def _json_text(value: Any) -> str:
    return canonical_json(json_safe(value))


def refuse_nested(df: pd.DataFrame, columns: Iterable[str], param: str, why: str) -> None:
    """A StepError naming the columns of `columns` that hold lists or records, saying `why`
    they cannot be used and what to do."""
    nested = nested_columns(df, columns)
    if nested:
        quoted = ", ".join(f"'{c}'" for c in nested[:10])
        raise StepError(
            f"{param}: {quoted} hold{'s' if len(nested) == 1 else ''} lists or records, {why}; "
            "leave them out, or turn them into columns with a Python script",
            param=param,
        )


def fresh_index(df: pd.DataFrame) -> pd.DataFrame:
    """Return the table with a 0..n-1 index (tables are stored without their index)."""
    return df.reset_index(drop=True)


def rows_at(ctx: StepContext, df: pd.DataFrame, output: str, positions: Any) -> pd.DataFrame:
    """The rows of input `dataset` (`df`) at `positions` with a fresh index, told to the engine
    so output `output` can be stored as a reference to the input (`StepContext.rows_of`)."""
    ctx.rows_of(output, "dataset", positions)
    return fresh_index(df.iloc[positions])
