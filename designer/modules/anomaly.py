"""Train anomaly detection model: fit an anomaly detector (isolation forest, one-class SVM, PCA,
local outlier factor) on rows."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame
from designer.modules.models import TrainedModel, scalar_params
from designer.modules.training import (
    build_estimator,
    check_training_data,
    optional_label,
    predict,
    resolve_features,
    untrained_input,
)


def _matches(value: Any, text: str) -> bool:
    """Whether a label value is the one `text` names (1 names 1, 1.0 and True)."""
    if isinstance(value, (bool, np.bool_)):
        return text.lower() in (("true", "1", "yes") if value else ("false", "0", "no"))
    if isinstance(value, (int, float, np.number)):
        try:
            return float(text) == float(value)
        except ValueError:
            return False
    return str(value) == text


def anomaly_value(ctx: StepContext, y: pd.Series, label: str) -> Any:
    """The value of the label column that marks an anomaly, as the column holds it."""
    text = str(ctx.params.get("anomaly_value", "1")).strip()
    values = y.dropna().unique().tolist()
    found = [v for v in values if _matches(v, text)]
    if not found:
        seen = ", ".join(repr(v) for v in sorted(values, key=str)[:5])
        raise StepError(
            f"anomaly_value: {text!r} is not a value of the label column '{label}' "
            f"(it holds {seen}{', …' if len(values) > 5 else ''})",
            param="anomaly_value",
        )
    value = found[0]
    return value.item() if isinstance(value, np.generic) else value


def train_anomaly_detection_model(ctx: StepContext) -> Mapping[str, Any]:
    """Fit an anomaly detector on the feature columns (of the normal rows only, if chosen)."""
    model = untrained_input(ctx, task="anomaly_detection")
    df = frame(ctx, "dataset")
    label = optional_label(ctx, df)
    features = resolve_features(ctx, df, [label] if label else [])
    marked = None
    if label is not None:
        y = df[label]
        if y.isna().any():
            raise StepError(
                f"label: the label column '{label}' has {int(y.isna().sum())} missing values",
                param="label",
            )
        marked = anomaly_value(ctx, y, label)
    rows = df
    if ctx.params.get("rows", "all") == "normal":
        if label is None:
            raise StepError(
                "rows: training on the normal rows only needs the label column that marks "
                "the anomalies",
                param="rows",
            )
        rows = df[df[label] != marked]
        if rows.empty:
            raise StepError(f"rows: every row of '{label}' is an anomaly", param="rows")
    X = rows[features]
    check_training_data(X, None, None, model)
    estimator = build_estimator(model, X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator.fit(X)
        except ValueError as exc:
            raise StepError(
                f"dataset: {model.learner} cannot be trained on this data: {exc}", port="dataset"
            ) from exc
    for message in sorted({str(w.message).strip().splitlines()[0] for w in caught}):
        ctx.log(f"warning: {message}")
    trained = TrainedModel(
        learner=model.learner,
        task="anomaly_detection",
        estimator=estimator,
        features=features,
        label=label,
        hyperparameters=scalar_params(model.estimator),
        anomaly_value=marked,
    )
    flagged = int(predict(trained, X)[0].sum())
    ctx.log(
        f"trained {model.learner} on {len(X)} rows, {len(features)} features; "
        f"{flagged} of them ({flagged / len(X):.1%}) lie beyond its threshold"
    )
    return {"model": trained}
