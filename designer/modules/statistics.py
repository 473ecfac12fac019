"""Statistical functions: a table's summary statistics per column, and its correlation matrix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import chosen_numeric_columns, comparable, frame, numeric_columns
from designer.modules.specs.statistics import CORRELATION_METHODS

NUMBERS = ("Mean", "Std", "Min", "25%", "Median", "75%", "Max", "Skewness", "Kurtosis")


def _numbers(values: pd.Series) -> list[float | None]:
    """A numeric column's statistics over its values present, in NUMBERS' order."""
    present = values.dropna().astype("float64")
    if present.empty:
        return [None] * len(NUMBERS)
    quartiles = present.quantile([0.25, 0.5, 0.75]).tolist()
    return [
        present.mean(),
        present.std(),
        present.min(),
        *quartiles,
        present.max(),
        present.skew(),
        present.kurt(),
    ]


def summarize(ctx: StepContext) -> Mapping[str, Any]:
    """One row of statistics per column of the input table."""
    df = frame(ctx, "dataset", allow_empty=True)
    numeric = set(numeric_columns(df))
    counted = comparable(df)  # a list or record counts and repeats as its JSON text
    rows = []
    for name in df.columns:
        values = counted[name]
        modes = values.mode(dropna=True)
        numbers = _numbers(values) if name in numeric else [None] * len(NUMBERS)
        rows.append(
            {
                "Feature": str(name),
                "Type": str(df[name].dtype),
                "Count": int(values.count()),
                "Missing": int(values.isna().sum()),
                "Unique": int(values.nunique(dropna=True)),
                "Mode": str(modes.iloc[0]) if len(modes) else None,
                **dict(zip(NUMBERS, numbers, strict=True)),
            }
        )
    statistics = pd.DataFrame(
        rows, columns=["Feature", "Type", "Count", "Missing", "Unique", "Mode", *NUMBERS]
    )
    for column in NUMBERS:
        statistics[column] = statistics[column].astype("float64")
    statistics["Mode"] = statistics["Mode"].astype("str")
    return {"statistics": statistics}


def correlation(ctx: StepContext) -> Mapping[str, Any]:
    """The correlation matrix of the chosen numeric columns."""
    df = frame(ctx, "dataset")
    columns = chosen_numeric_columns(ctx, df)  # it has no `exclude`: nothing is left out
    if len(columns) < 2:
        raise StepError(
            f"columns: a correlation needs at least 2 numeric columns, got {len(columns)}",
            param="columns",
        )
    method = str(ctx.params.get("method") or "pearson")
    if method not in CORRELATION_METHODS:
        raise StepError(f"method: choose one of {', '.join(CORRELATION_METHODS)}", param="method")
    matrix = df[columns].astype("float64").corr(method=method)
    matrix.insert(0, "Feature", [str(c) for c in columns])
    return {"correlations": matrix.reset_index(drop=True)}
