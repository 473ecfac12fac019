"""Column and row transforms: select, edit, clean, normalize, dedupe, filter, join, one-hot."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine import memory
from designer.engine.context import StepContext, StepError
from designer.modules._frames import (
    LABEL_ATTR,
    categorical_columns,
    chosen_numeric_columns,
    column_list,
    comparable,
    frame,
    refuse_nested,
    require_columns,
    require_numeric,
    rows_at,
)
from designer.modules.expressions import query_mask
from designer.modules.fitted import CleanTransform, OneHotTransform, ScaleTransform
from designer.modules.names import paired_names

_TYPE_TESTS = {
    "numeric": lambda s: pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s),
    "integer": lambda s: pd.api.types.is_integer_dtype(s),
    "float": lambda s: pd.api.types.is_float_dtype(s),
    "string": lambda s: pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s),
    "boolean": lambda s: pd.api.types.is_bool_dtype(s),
    "datetime": lambda s: pd.api.types.is_datetime64_any_dtype(s),
    "categorical": lambda s: isinstance(s.dtype, pd.CategoricalDtype),
}


def select_columns(ctx: StepContext) -> Mapping[str, Any]:
    """Keep or drop columns chosen by name, type or name pattern."""
    df = frame(ctx, "dataset", allow_empty=True)
    named = require_columns(df, column_list(ctx.params.get("columns")), "columns")
    kind = str(ctx.params.get("types") or "any")
    pattern = str(ctx.params.get("pattern") or "")
    try:
        regex = re.compile(pattern) if pattern else None
    except re.error as exc:
        raise StepError(
            f"pattern: invalid regular expression '{pattern}': {exc}", param="pattern"
        ) from exc
    if not named and kind == "any" and regex is None:
        raise StepError("columns: choose columns by name, by type or by pattern", param="columns")
    test = _TYPE_TESTS.get(kind)
    matched = set(named)
    for c in df.columns:
        if (test is not None and test(df[c])) or (regex is not None and regex.search(str(c))):
            matched.add(c)
    if ctx.params.get("mode", "include") == "exclude":
        return {"dataset": df.drop(columns=[c for c in df.columns if c in matched])}
    order = named + [c for c in df.columns if c in matched and c not in named]
    if not order:
        raise StepError("columns: no column matches the given type or pattern", param="columns")
    return {"dataset": df[order]}


def _cast(series: pd.Series, target: str) -> pd.Series:
    if target == "integer":
        return pd.to_numeric(series).astype("Int64")
    if target == "float":
        return pd.to_numeric(series).astype("float64")
    if target == "string":
        return series.astype("str").where(series.notna())
    if target == "boolean":
        words = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
        lowered = series.astype("str").str.strip().str.lower()
        unknown = lowered[series.notna() & ~lowered.isin(list(words))]
        if not unknown.empty:
            raise ValueError(f"'{unknown.iloc[0]}' is not a boolean (true/false, yes/no, 1/0)")
        return lowered.map(words).where(series.notna()).astype("boolean")
    if target == "datetime":
        return pd.to_datetime(series)
    if target == "categorical":
        return series.astype("category")
    return series


def edit_metadata(ctx: StepContext) -> Mapping[str, Any]:
    """Rename, cast and mark columns as label or features."""
    df = frame(ctx, "dataset", allow_empty=True).copy(deep=False)
    columns = require_columns(df, column_list(ctx.params.get("columns")), "columns")
    if not columns:
        raise StepError("columns: choose at least one column to edit", param="columns")
    target = str(ctx.params.get("cast") or "unchanged")
    for c in columns:
        try:
            df[c] = _cast(df[c], target)
        except (ValueError, TypeError) as exc:
            raise StepError(
                f"cast: cannot convert column '{c}' to {target}: {exc}", param="cast"
            ) from exc
    names = column_list(ctx.params.get("new_names"))
    if names:
        if len(names) != len(columns):
            raise StepError(
                f"new_names: {len(names)} names given for {len(columns)} columns", param="new_names"
            )
        df = df.rename(columns=dict(zip(columns, names, strict=True)))
        columns = names
    role = str(ctx.params.get("role") or "unchanged")
    if role == "label":
        if len(columns) != 1:
            raise StepError("role: mark exactly one column as the label", param="role")
        df.attrs[LABEL_ATTR] = columns[0]
    elif role in ("feature", "clear") and df.attrs.get(LABEL_ATTR) in columns:
        del df.attrs[LABEL_ATTR]
    return {"dataset": df}


def _fill_value(df: pd.DataFrame, column: str, strategy: str, constant: str) -> Any:
    series = df[column]
    if strategy in ("mean", "median"):
        require_numeric(df, [column], "strategy")
        value = series.mean() if strategy == "mean" else series.median()
        return float(value) if pd.notna(value) else None
    if strategy == "mode":
        modes = series.mode(dropna=True)
        return modes.iloc[0] if not modes.empty else None
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        try:
            return float(constant)
        except ValueError as exc:
            raise StepError(
                f"constant: '{constant}' is not a number, but column '{column}' is numeric",
                param="constant",
            ) from exc
    return constant


def clean_missing(ctx: StepContext) -> Mapping[str, Any]:
    """Drop or fill missing values, reporting per column what changed."""
    df = frame(ctx, "dataset")
    strategy = str(ctx.params.get("strategy") or "remove_rows")
    chosen = require_columns(df, column_list(ctx.params.get("columns")), "columns")
    columns = chosen or [str(c) for c in df.columns if df[c].isna().any()]
    missing = {c: int(df[c].isna().sum()) for c in columns}
    fills: dict[str, Any] = {}
    if strategy not in ("remove_rows", "remove_columns"):
        constant = str(ctx.params.get("constant") or "")
        if strategy == "constant" and constant == "":
            raise StepError("constant: give the replacement value", param="constant")
        fills = {c: _fill_value(df, c, strategy, constant) for c in columns if missing[c]}
    fitted = CleanTransform(strategy, columns, fills)
    out = fitted.apply(df)
    rows_removed = len(df) - len(out)
    report = pd.DataFrame(
        {
            "column": columns,
            "missing": [missing[c] for c in columns],
            "action": [_action(strategy, missing[c]) for c in columns],
            "value": [None if fills.get(c) is None else str(fills[c]) for c in columns],
        }
    )
    ctx.log(
        f"{sum(missing.values())} missing values in {sum(1 for v in missing.values() if v)} "
        f"columns; strategy {strategy}; {rows_removed} rows removed"
    )
    return {"dataset": out, "report": report, "transform": fitted}


def _action(strategy: str, missing: int) -> str:
    if not missing:
        return "none"
    return {"remove_rows": "rows removed", "remove_columns": "column removed"}.get(
        strategy, f"filled with {strategy}"
    )


def normalize(ctx: StepContext) -> Mapping[str, Any]:
    """Fit a z-score, min-max or robust scaler on numeric columns and apply it."""
    df = frame(ctx, "dataset")
    columns = chosen_numeric_columns(ctx, df)
    if not columns:
        raise StepError("columns: no numeric column to normalize", param="columns")
    values = df[columns].astype("float64")
    method = str(ctx.params.get("method") or "zscore")
    if method == "zscore":
        center, scale = values.mean(), values.std(ddof=0)
    elif method == "minmax":
        center, scale = values.min(), values.max() - values.min()
    elif method == "robust":
        center, scale = values.median(), values.quantile(0.75) - values.quantile(0.25)
    else:
        raise StepError(f"method: unknown method '{method}'", param="method")
    scale = scale.where(scale != 0, 1.0)  # constant columns are shifted only, as scikit-learn does
    fitted = ScaleTransform(
        method,
        {c: float(center[c]) for c in columns},
        {c: float(scale[c]) for c in columns},
    )
    ctx.rescaled(
        "dataset", "dataset", {c: (fitted.center[c], fitted.scale[c]) for c in fitted.center}
    )
    return {"dataset": fitted.apply(df), "transform": fitted}


def apply_transform(ctx: StepContext) -> Mapping[str, Any]:
    """Replay a fitted transform on a table."""
    fitted = ctx.input("transform")
    if not callable(getattr(fitted, "apply", None)):
        raise StepError("transform: expects a fitted transform", port="transform")
    return {"dataset": fitted.apply(frame(ctx, "dataset", allow_empty=True))}


def remove_duplicates(ctx: StepContext) -> Mapping[str, Any]:
    """Drop rows that repeat another row on the key columns."""
    df = frame(ctx, "dataset", allow_empty=True)
    keys = require_columns(df, column_list(ctx.params.get("columns")), "columns")
    keep = ctx.params.get("keep", "first")
    repeated = comparable(df).duplicated(subset=keys or None, keep=keep)  # lists compare too
    out = df[~repeated]
    ctx.log(f"removed {len(df) - len(out)} duplicate rows")
    return {"dataset": out.reset_index(drop=True)}


def filter_rows(ctx: StepContext) -> Mapping[str, Any]:
    """Keep the rows for which the expression holds."""
    df = frame(ctx, "dataset", allow_empty=True)
    mask = np.asarray(query_mask(df, ctx.params.get("expression"), "expression"), dtype=bool)
    out = rows_at(ctx, df, "dataset", np.flatnonzero(mask))
    ctx.log(f"kept {len(out)} of {len(df)} rows")
    return {"dataset": out}


def join(ctx: StepContext) -> Mapping[str, Any]:
    """Join two tables on key columns."""
    left, right = frame(ctx, "left", allow_empty=True), frame(ctx, "right", allow_empty=True)
    keys = require_columns(left, column_list(ctx.params.get("keys")), "keys")
    if not keys:
        raise StepError("keys: choose at least one key column", param="keys")
    right_keys = require_columns(
        right, column_list(ctx.params.get("right_keys")) or keys, "right_keys"
    )
    if len(right_keys) != len(keys):
        raise StepError(
            f"right_keys: {len(right_keys)} right keys for {len(keys)} left keys",
            param="right_keys",
        )
    how: Any = {"full": "outer"}.get(
        str(ctx.params.get("how")), str(ctx.params.get("how") or "inner")
    )
    try:
        _refuse_oversized(left, right, keys, right_keys, how)
        out = left.merge(
            right, how=how, left_on=keys, right_on=right_keys, suffixes=("_left", "_right")
        )
    except (ValueError, TypeError) as exc:
        raise StepError(
            f"keys: cannot join on {keys} and {right_keys}: {exc}", param="keys"
        ) from exc
    return {"dataset": out}


def _refuse_oversized(
    left: pd.DataFrame, right: pd.DataFrame, keys: list[str], right_keys: list[str], how: Any
) -> None:
    """StepError naming the keys when the join's rows cannot fit in the memory a step may use.

    The row count is exact: each key value's rows on the left times its rows on the right (or
    one, for an unmatched row an outer side keeps), matched by the same merge on the distinct
    keys. Each output row takes at least its columns' item sizes and the merge's two row
    indices; only a join past the limit on that least size is refused (decision 0074).
    """
    width = 16 + sum(getattr(t, "itemsize", 1) for t in (*left.dtypes, *right.dtypes))
    limit = memory.step_limit()
    if (len(left) + 1) * (len(right) + 1) * width <= limit:  # no join of these can go past it
        return
    fewer = (len(left) + len(right)) * width <= limit  # when a side's keys are unique: each
    # row of the other matches one at most (the right side first: a lookup table, often)
    right_counts = _key_counts(right, right_keys, "\0right")
    if fewer and right_counts["\0right"].max() <= 1:
        return
    left_counts = _key_counts(left, keys, "\0left")
    if fewer and left_counts["\0left"].max() <= 1:
        return
    try:
        matched = left_counts.merge(right_counts, how=how, left_on=keys, right_on=right_keys)
    except (ValueError, TypeError):
        return  # keys that do not match: the join itself says why
    rows = int((matched["\0left"].fillna(1) * matched["\0right"].fillna(1)).sum())
    if rows * width > limit:
        on = ", ".join(f"{a!r} = {b!r}" for a, b in zip(keys, right_keys, strict=True))
        raise StepError(
            f"keys: joining on {on} would produce {rows:,} rows (at least "
            f"{rows * width // memory.MB:,} MB), more than the {limit // memory.MB:,} MB a step "
            f"may use here ({memory.SETTING}); a key value repeated on both sides multiplies "
            "its rows",
            param="keys",
        )


def _key_counts(df: pd.DataFrame, keys: list[str], name: str) -> pd.DataFrame:
    """The distinct keys (their first rows' values, in the frame's own types, so that they
    match as the frame's do; missing values included, as merge matches them) and their counts."""
    groups = df.groupby(keys, dropna=False, observed=True, sort=False).ngroup().to_numpy()
    # groups are numbered as they first appear: a group's first row is above every number before
    first = np.flatnonzero(groups > np.r_[-1, np.maximum.accumulate(groups)][: len(groups)])
    distinct = df.iloc[first][keys].reset_index(drop=True)
    distinct[name] = np.bincount(groups).astype("float64")
    return distinct


def add_rows(ctx: StepContext) -> Mapping[str, Any]:
    """Append the bottom table's rows below the top table's."""
    top, bottom = frame(ctx, "top", allow_empty=True), frame(ctx, "bottom", allow_empty=True)
    only_top = [c for c in top.columns if c not in bottom.columns]
    only_bottom = [c for c in bottom.columns if c not in top.columns]
    if (only_top or only_bottom) and ctx.params.get("columns_mismatch", "error") == "error":
        raise StepError(
            "columns_mismatch: the tables have different columns "
            f"(only in top: {only_top or 'none'}; only in bottom: {only_bottom or 'none'}); "
            "choose 'union' to fill the gaps with empty values",
            param="columns_mismatch",
        )
    order = list(top.columns) + only_bottom
    return {"dataset": pd.concat([top, bottom], ignore_index=True)[order]}


def add_columns(ctx: StepContext) -> Mapping[str, Any]:
    """Put the right table's columns beside the left table's, row i with row i."""
    left, right = frame(ctx, "left", allow_empty=True), frame(ctx, "right", allow_empty=True)
    if len(left) != len(right):
        raise StepError(
            f"right: has {len(right)} rows, the left table {len(left)}; Add columns pairs rows "
            "by position, so both need the same number (use Join data to match rows by key)",
            port="right",
        )
    given = [str(c) for c in right.columns]
    names = paired_names([str(c) for c in left.columns], given)
    renamed = [f"'{c}' to '{n}'" for c, n in zip(given, names, strict=True) if c != n]
    if renamed:
        ctx.log(f"renamed right columns also in the left table: {', '.join(renamed)}")
    beside = right.set_axis(left.index).set_axis(names, axis="columns")
    out = pd.concat([left, beside], axis="columns")
    out.attrs = dict(left.attrs)  # the left columns keep their names: a marked label stays
    return {"dataset": out}


def one_hot(ctx: StepContext) -> Mapping[str, Any]:
    """Replace categorical columns by 0/1 indicator columns, one per category."""
    df = frame(ctx, "dataset")
    chosen = require_columns(df, column_list(ctx.params.get("columns")), "columns")
    excluded = set(require_columns(df, column_list(ctx.params.get("exclude")), "exclude"))
    columns = [c for c in (chosen or categorical_columns(df)) if c not in excluded]
    if not columns:
        raise StepError("columns: no categorical column to convert", param="columns")
    refuse_nested(df, columns, "columns", "which have no categories to encode")
    categories: dict[str, list[Any]] = {}
    for c in columns:
        values = df[c].dropna().unique().tolist()
        if len(values) > 1000:
            raise StepError(
                f"columns: column '{c}' has {len(values)} distinct values, too many to convert",
                param="columns",
            )
        categories[c] = sorted(values, key=str)
    fitted = OneHotTransform(categories, bool(ctx.params.get("keep_original")))
    return {"dataset": fitted.apply(df), "transform": fitted}
