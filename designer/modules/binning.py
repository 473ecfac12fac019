"""Group data into bins: numeric columns numbered by quantile, equal-width or custom bins."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import fittable_numeric_columns, frame, require_new_columns
from designer.modules.fitted import BinTransform, bin_column

STRATEGIES = {"quantiles": "quantile", "equal_width": "uniform"}  # KBinsDiscretizer's names
MAX_EDGES = 999  # custom edges: at most 1,000 bins, as the bins param allows


def custom_edges(text: str) -> list[float]:
    """The edges a user wrote (comma-separated, increasing), with -inf and inf around them."""
    try:
        inner = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise StepError(
            f"edges: {text!r} is not a comma-separated list of numbers", param="edges"
        ) from None
    if not inner or any(not np.isfinite(e) for e in inner):
        raise StepError("edges: give one or more finite numbers, e.g. 18, 30, 65", param="edges")
    if len(inner) > MAX_EDGES:
        raise StepError(f"edges: at most {MAX_EDGES} edges, got {len(inner)}", param="edges")
    if any(b <= a for a, b in pairwise(inner)):
        raise StepError(f"edges: {text!r} must increase from one edge to the next", param="edges")
    return [-np.inf, *inner, np.inf]


def fitted_edges(values: pd.Series, method: str, bins: int) -> tuple[list[float], bool]:
    """A column's edges as KBinsDiscretizer fits them on its values present, and whether it
    merged bins too narrow to hold anything (ties)."""
    from sklearn.preprocessing import KBinsDiscretizer

    options: dict[str, Any] = {"n_bins": bins, "encode": "ordinal", "subsample": None}
    options["strategy"] = STRATEGIES[method]
    if method == "quantiles":
        options["quantile_method"] = "averaged_inverted_cdf"
    present = values.dropna().astype("float64").to_numpy().reshape(-1, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = KBinsDiscretizer(**options).fit(present)
    merged = any("Bins whose width are too small" in str(w.message) for w in caught)
    return [float(e) for e in fit.bin_edges_[0]], merged


def group_into_bins(ctx: StepContext) -> Mapping[str, Any]:
    """Number each chosen column's values by the bin they fall in; list the bins."""
    df = frame(ctx, "dataset")
    columns = fittable_numeric_columns(ctx, df, "group into bins")
    append = str(ctx.params.get("mode") or "append") == "append"
    if append:
        require_new_columns(df, map(bin_column, columns))
    method = str(ctx.params.get("method") or "quantiles")
    bins = int(ctx.params.get("bins") or 10)
    if method != "custom" and str(ctx.params.get("edges") or "").strip():
        raise StepError(
            "edges: custom edges are used by the custom method only; choose it or clear them "
            f"(the method is {method})",
            param="edges",
        )
    edges: dict[str, list[float]] = {}
    for column in columns:
        if method == "custom":
            edges[column] = custom_edges(str(ctx.params.get("edges") or ""))
            continue
        edges[column], merged = fitted_edges(df[column], method, bins)
        if merged:
            ctx.log(
                f"{column}: {len(edges[column]) - 1} bins, not {bins}: ties left some too "
                "narrow to hold a value, and they were merged"
            )
    fitted = BinTransform(edges, append)
    out = fitted.apply(df)
    return {"dataset": out, "bins": _bins_table(out, fitted), "transform": fitted}


def _bins_table(out: pd.DataFrame, fitted: BinTransform) -> pd.DataFrame:
    """One row per column and bin: its number, its edges and how many rows fell in it."""
    rows = []
    for column, edges in fitted.edges.items():
        numbers = out[bin_column(column) if fitted.append else column]
        counts = numbers.value_counts()
        for number in range(len(edges) - 1):
            low, high = edges[number], edges[number + 1]
            rows.append((column, number, low, high, int(counts.get(number, 0))))
    return pd.DataFrame(rows, columns=["Column", "Bin", "From", "To", "Rows"])
