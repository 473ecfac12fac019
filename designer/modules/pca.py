"""Principal component analysis: numeric columns replaced by their first principal components."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import chosen_numeric_columns, frame
from designer.modules.fitted import PcaTransform, pca_rows


def _fit(
    rows: np.ndarray, columns: list[str], names: list[str], standardize: bool
) -> tuple[PcaTransform, Any]:
    """The fitted transform and scikit-learn's PCA (its explained variances), fitted as
    StandardScaler (when `standardize`) then PCA fit them."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    if standardize:
        scaler = StandardScaler().fit(rows)
        center, scale = scaler.mean_, scaler.scale_
    else:
        center, scale = np.zeros(len(columns)), np.ones(len(columns))
    pca = PCA(n_components=len(names), random_state=0).fit((rows - center) / scale)
    fitted = PcaTransform(
        columns,
        center.tolist(),
        scale.tolist(),
        pca.mean_.tolist(),
        pca.components_.tolist(),
        names,
    )
    return fitted, pca


def pca(ctx: StepContext) -> Mapping[str, Any]:
    """Fit the principal components of the chosen numeric columns and keep the first `count`."""
    df = frame(ctx, "dataset")
    columns = chosen_numeric_columns(ctx, df)
    if len(columns) < 2:
        raise StepError(
            f"columns: principal components need at least 2 numeric columns, got {len(columns)}",
            param="columns",
        )
    count = int(ctx.params.get("count") or 2)
    most = min(len(columns), len(df))
    if count > most:
        raise StepError(
            f"count: at most {most} components from {len(columns)} columns and {len(df)} rows, "
            f"asked for {count}",
            param="count",
        )
    names = [f"PC{i}" for i in range(1, count + 1)]
    rows = pca_rows(df, columns, names)
    fitted, fit = _fit(rows, columns, names, bool(ctx.params.get("standardize", True)))
    ratios = fit.explained_variance_ratio_
    variance = pd.DataFrame(
        {
            "Component": names,
            "Explained variance": fit.explained_variance_,
            "Variance ratio": ratios,
            "Cumulative ratio": np.cumsum(ratios),
        }
    )
    weights = pd.DataFrame({"Column": columns})
    for name, row in zip(names, fit.components_, strict=True):
        weights[name] = row
    ctx.log(
        f"{count} components of {len(columns)} columns explain "
        f"{float(np.sum(ratios)):.1%} of their variance"
    )
    return {
        "dataset": fitted.apply(df),
        "variance": variance,
        "weights": weights,
        "transform": fitted,
    }
