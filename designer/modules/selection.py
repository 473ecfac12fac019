"""Filter based feature selection: score candidate features against the label, keep the best."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import column_list, frame, require_columns
from designer.modules.fitted import SelectionTransform
from designer.modules.specs.ml import SELECTION_METHODS
from designer.modules.training import resolve_label

CORRELATIONS = {"pearson": "Pearson", "spearman": "Spearman", "kendall": "Kendall"}


def _rank_correlations(method: str, X: pd.DataFrame, y: pd.Series) -> Any:
    """Each candidate's Spearman or Kendall (tau-b) correlation with the label, as SciPy gives
    it (a constant column's is undefined)."""
    from scipy import stats

    correlate = stats.spearmanr if method == "spearman" else stats.kendalltau
    label = y.astype("float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        return np.array([correlate(X[c], label).statistic for c in X.columns], dtype="float64")


def _scores(method: str, task: str, X: pd.DataFrame, y: pd.Series, seed: int | None) -> Any:
    """Each candidate's score, as scikit-learn's scoring function for `method` and `task` gives
    it, or SciPy's rank correlation (larger is better; correlations: their absolute value)."""
    from sklearn import feature_selection as fs

    if method == "pearson":
        return np.abs(fs.r_regression(X, y.astype("float64")))
    if method in ("spearman", "kendall"):
        return np.abs(_rank_correlations(method, X, y))
    if method == "f_score":
        return (fs.f_classif if task == "classification" else fs.f_regression)(X, y)[0]
    if method == "chi_squared":
        return fs.chi2(X, y)[0]
    mutual = fs.mutual_info_classif if task == "classification" else fs.mutual_info_regression
    return mutual(X, y, random_state=seed)


def _check(df: pd.DataFrame, label: str, candidates: list[str], method: str, task: str) -> None:
    """Name what the scores cannot be computed on: text features, missing values, a text
    label for a numeric score, negative values for chi-squared, a regression with chi-squared."""
    text = [c for c in candidates if not pd.api.types.is_numeric_dtype(df[c])]
    if text:
        raise StepError(
            f"columns: {', '.join(map(repr, text[:10]))} are not numeric; convert them with "
            "Convert to indicator values, or leave them out",
            param="columns",
        )
    missing = [c for c in [*candidates, label] if df[c].isna().any()]
    if missing:
        raise StepError(
            f"dataset: {', '.join(map(repr, missing[:10]))} have missing values; clean them "
            "first (Clean missing data)",
            port="dataset",
        )
    numeric_label = pd.api.types.is_numeric_dtype(df[label])  # booleans count
    if task == "regression" and method == "chi_squared":
        raise StepError(
            "method: chi-squared scores features against classes; choose another method for a "
            "regression",
            param="method",
        )
    if task == "regression" and not numeric_label:
        raise StepError(
            f"task: a regression label must be numeric; {label!r} is text", param="task"
        )
    if method in CORRELATIONS and not numeric_label:
        raise StepError(
            f"label: {CORRELATIONS[method]} correlation needs a numeric label; {label!r} is text",
            param="label",
        )
    if method == "chi_squared":
        negative = [c for c in candidates if (df[c] < 0).any()]
        if negative:
            names = ", ".join(map(repr, negative[:10]))
            raise StepError(
                f"method: chi-squared needs non-negative features; {names} have negative "
                "values (rescale them with Normalize data, min-max)",
                param="method",
            )


def select_features(ctx: StepContext) -> Mapping[str, Any]:
    """Score the candidate columns against the label and drop all but the best `count`."""
    df = frame(ctx, "dataset")
    label = resolve_label(ctx, df)
    chosen = require_columns(df, column_list(ctx.params.get("columns")), "columns")
    numeric = [str(c) for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]  # and bools
    candidates = [c for c in (chosen or numeric) if c != label]
    if not candidates:
        raise StepError("columns: no candidate feature besides the label", param="columns")
    method = str(ctx.params.get("method") or "pearson")
    task = str(ctx.params.get("task") or "classification")
    if method not in SELECTION_METHODS:
        raise StepError(f"method: choose one of {', '.join(SELECTION_METHODS)}", param="method")
    _check(df, label, candidates, method, task)
    seed = ctx.params.get("seed")
    raw = _scores(method, task, df[candidates], df[label], seed)
    scores = np.nan_to_num(np.asarray(raw, dtype="float64"), nan=0.0)  # a constant column: 0
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])  # stable: ties by position
    count = min(int(ctx.params.get("count") or 1), len(candidates))
    kept = {candidates[i] for i in order[:count]}
    fitted = SelectionTransform(
        method,
        [c for c in candidates if c in kept],
        [c for c in candidates if c not in kept],
    )
    table = pd.DataFrame(
        {
            "Feature": [candidates[i] for i in order],
            "Score": [float(scores[i]) for i in order],
            "Selected": [candidates[i] in kept for i in order],
        }
    )
    ctx.log(f"kept {count} of {len(candidates)} features by {method}: {', '.join(fitted.kept)}")
    return {"dataset": fitted.apply(df), "scores": table, "transform": fitted}
