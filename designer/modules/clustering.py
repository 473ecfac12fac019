"""Train clustering model and Assign data to clusters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import (
    column_list,
    frame,
    numeric_columns,
    require_columns,
    require_numeric,
)
from designer.modules.evaluate import ASSIGNMENTS, CLUSTER_ATTR
from designer.modules.models import TrainedModel, scalar_params
from designer.modules.training import trained_input, untrained_input


def _assign(trained: TrainedModel, df: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in trained.features if c not in df.columns]
    if missing:
        raise StepError(
            f"dataset: the model was trained on columns {', '.join(map(repr, missing))}, "
            "which this table does not have",
            port="dataset",
        )
    X = df[trained.features]
    if X.isna().any().any():
        raise StepError(
            "dataset: the feature columns have missing values; clean them first", port="dataset"
        )
    out = df.copy(deep=False)  # copy-on-write copies a column on write
    out[ASSIGNMENTS] = trained.estimator.predict(X)
    distances = trained.estimator.transform(X)
    for k in range(distances.shape[1]):
        out[f"DistancesToClusterCenter no.{k}"] = distances[:, k]
    out.attrs[CLUSTER_ATTR] = {"features": trained.features, "learner": trained.learner}
    return out


def train_clustering_model(ctx: StepContext) -> Mapping[str, Any]:
    """Fit a clustering model on numeric columns and assign the training rows."""
    model = untrained_input(ctx, task="clustering")
    df = frame(ctx, "dataset")
    features = require_columns(
        df, column_list(ctx.params.get("features")), "features"
    ) or numeric_columns(df)
    require_numeric(df, features, "features")
    if not features:
        raise StepError("features: the table has no numeric column to cluster on", param="features")
    X = df[features]
    if X.isna().any().any():
        raise StepError(
            "dataset: the feature columns have missing values; clean them first", port="dataset"
        )
    estimator = model.fresh()
    n_clusters = getattr(estimator, "n_clusters", 0)
    if n_clusters > len(df):
        raise StepError(
            f"model: {n_clusters} clusters need at least {n_clusters} rows, got {len(df)}",
            port="model",
        )
    estimator.fit(X)
    trained = TrainedModel(
        model.learner, "clustering", estimator, features, hyperparameters=scalar_params(estimator)
    )
    sizes = np.bincount(estimator.labels_)
    ctx.log(f"{len(sizes)} clusters of sizes {sizes.tolist()}")
    return {"model": trained, "dataset": _assign(trained, df)}


def assign_clusters(ctx: StepContext) -> Mapping[str, Any]:
    """Assign rows to the nearest cluster of a trained clustering model."""
    trained = trained_input(ctx)
    if trained.task != "clustering":
        raise StepError(
            f"model: {trained.learner} is not a clustering model; use Score model", port="model"
        )
    return {"dataset": _assign(trained, frame(ctx, "dataset"))}
