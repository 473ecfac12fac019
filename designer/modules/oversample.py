"""SMOTE: synthetic rows of a minority class, from its nearest neighbours (imbalanced-learn)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import categorical_columns, frame, refuse_nested
from designer.modules.training import resolve_label


def _minority(ctx: StepContext, counts: pd.Series, label: str) -> Any:
    """The class to oversample: the one named, else the least frequent (ties: by name)."""
    named = str(ctx.params.get("minority") or "").strip()
    if not named:
        return min(counts.index, key=lambda value: (counts[value], str(value)))
    for value in counts.index:
        if str(value) == named:
            return value
    classes = ", ".join(repr(str(v)) for v in counts.index[:20])
    raise StepError(
        f"minority: {label!r} has no class {named!r}; it has {classes}", param="minority"
    )


def _sampler(features: pd.DataFrame, strategy: dict[Any, int], neighbors: int, seed: Any) -> Any:
    """SMOTE for numeric features, SMOTE-NC when some are text, categories or booleans, SMOTE-N
    when all are."""
    from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

    categorical = categorical_columns(features)
    options = {"sampling_strategy": strategy, "k_neighbors": neighbors, "random_state": seed}
    if not categorical:
        return SMOTE(**options)
    if len(categorical) == len(features.columns):
        return SMOTEN(**options)
    return SMOTENC(categorical_features=categorical, **options)


def smote(ctx: StepContext) -> Mapping[str, Any]:
    """Add synthetic rows of the minority class until it has grown by `percentage` percent."""
    df = frame(ctx, "dataset")
    label = resolve_label(ctx, df)
    features = [str(c) for c in df.columns if c != label]
    if not features:
        raise StepError("dataset: there is no feature column besides the label", port="dataset")
    refuse_nested(df, features, "dataset", "which SMOTE cannot interpolate")
    missing = [str(c) for c in df.columns if df[c].isna().any()]
    if missing:
        raise StepError(
            f"dataset: {', '.join(map(repr, missing[:10]))} have missing values, which SMOTE "
            "cannot interpolate; clean them first (Clean missing data)",
            port="dataset",
        )
    classes = df[label]
    if pd.api.types.is_float_dtype(classes) and not (classes % 1 == 0).all():
        raise StepError(
            f"label: {label!r} holds continuous values ({classes.nunique()} distinct); SMOTE "
            "grows a class of a classification label",
            param="label",
        )
    counts = classes.value_counts(sort=False)
    if len(counts) < 2:
        raise StepError(f"label: {label!r} has one class; SMOTE needs two or more", param="label")
    minority = _minority(ctx, counts, label)
    rows = int(counts[minority])
    neighbors = int(ctx.params.get("neighbors") or 5)
    if neighbors >= rows:
        raise StepError(
            f"neighbors: class {str(minority)!r} has {rows} rows, so at most {rows - 1} "
            f"neighbours can be used, not {neighbors}",
            param="neighbors",
        )
    percentage = int(ctx.params.get("percentage") or 100)
    target = rows + round(rows * percentage / 100)
    sampler = _sampler(df[features], {minority: target}, neighbors, ctx.params.get("seed"))
    grown, labels = sampler.fit_resample(df[features], df[label])
    grown[label] = labels
    out = grown[[str(c) for c in df.columns]]
    out.attrs = dict(df.attrs)  # the label marked by Edit metadata stays marked
    ctx.log(
        f"added {len(out) - len(df)} synthetic rows of {label} = {str(minority)!r} "
        f"({rows} → {target} of {len(df)} rows, {neighbors} neighbours, "
        f"{type(sampler).__name__})"
    )
    return {"dataset": out}
