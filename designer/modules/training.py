"""Train model and Score model: fit an untrained learner on a label column, then predict."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import (
    LABEL_ATTR,
    categorical_columns,
    column_list,
    frame,
    refuse_nested,
    require_columns,
)
from designer.modules.models import TrainedModel, UntrainedModel, scalar_params
from designer.modules.schemas import ANOMALY_SCORE, SCORED_LABELS, SCORED_PROBABILITIES

SCORED_ATTR = "designer_scored"  # DataFrame.attrs key: task, label, classes, learner of the scores


# the trainer of each task's learners (classifiers and regressors: Train model, Tune
# hyperparameters and Cross-validate model)
TRAINERS = {
    "clustering": "Train clustering model",
    "anomaly_detection": "Train anomaly detection model",
}


def untrained_input(ctx: StepContext, *, task: str | None = None) -> UntrainedModel:
    """Return the untrained model on the 'model' port, checking that it fits this trainer: a
    learner of `task`, or (None) a classifier or regressor."""
    model = ctx.input("model")
    if isinstance(model, TrainedModel):
        raise StepError(
            "model: expects an untrained model (a learner), got a trained one", port="model"
        )
    if not isinstance(model, UntrainedModel):
        raise StepError(f"model: expects a learner, got {type(model).__name__}", port="model")
    if not (model.task == task if task else model.task not in TRAINERS):
        which = TRAINERS.get(model.task, "Train model")
        kind = model.task.replace("_", " ")
        raise StepError(f"model: {model.learner} is for {kind}; use {which}", port="model")
    return model


def trained_input(ctx: StepContext) -> TrainedModel:
    """Return the trained model on the 'model' port."""
    model = ctx.input("model")
    if isinstance(model, UntrainedModel):
        raise StepError(
            f"model: {model.learner} is not trained yet; connect it through Train model",
            port="model",
        )
    if not isinstance(model, TrainedModel):
        raise StepError(f"model: expects a trained model, got {type(model).__name__}", port="model")
    return model


def optional_label(ctx: StepContext, df: pd.DataFrame) -> str | None:
    """The label column, if any: the label param, else the column Edit metadata marked."""
    label = str(ctx.params.get("label") or "").strip() or df.attrs.get(LABEL_ATTR, "")
    return str(require_columns(df, [label], "label")[0]) if label else None


def resolve_label(ctx: StepContext, df: pd.DataFrame) -> str:
    """Return the label column: the label param, else the column Edit metadata marked as label."""
    label = optional_label(ctx, df)
    if label is None:
        raise StepError(
            "label: choose the label column (or mark one with Edit metadata)", param="label"
        )
    return label


def resolve_features(ctx: StepContext, df: pd.DataFrame, exclude: Sequence[str]) -> list[str]:
    """Return the feature columns: the features param, else every column but the excluded."""
    chosen = require_columns(df, column_list(ctx.params.get("features")), "features")
    features = chosen or [str(c) for c in df.columns if c not in exclude]
    overlap = [c for c in features if c in exclude]
    if overlap:
        raise StepError(
            f"features: the label column '{overlap[0]}' cannot be a feature", param="features"
        )
    if not features:
        raise StepError("features: there is no feature column left", param="features")
    refuse_nested(df, features, "features", "which a model cannot learn from")
    return features


def build_estimator(model: UntrainedModel, X: pd.DataFrame, **overrides: Any) -> Any:
    """Return the estimator, wrapped to one-hot encode text columns when there are any."""
    estimator = model.fresh(**overrides)
    text = categorical_columns(X)
    if not text:
        return estimator
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    encode = ColumnTransformer(
        [("text", OneHotEncoder(handle_unknown="ignore", sparse_output=False), text)],
        remainder="passthrough",
    )
    return Pipeline([("encode", encode), ("learner", estimator)])


def learner_of(estimator: Any) -> Any:
    """The learner itself: the last step of the pipeline `build_estimator` wraps it in to
    encode text columns, or the estimator as it is."""
    from sklearn.pipeline import Pipeline

    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def continuous(y: pd.Series) -> bool:
    """Whether a label holds numbers that are not all whole: a classifier cannot predict it."""
    return pd.api.types.is_float_dtype(y) and not np.all(np.mod(y.to_numpy(), 1) == 0)


def check_label(y: pd.Series, label: str, task: str, learner: str) -> None:
    """Reject a label with missing values, or one `learner` (of `task`) cannot predict."""
    if y.isna().any():
        raise StepError(
            f"label: the label column '{label}' has {int(y.isna().sum())} missing values",
            param="label",
        )
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if task == "regression" and not numeric:
        raise StepError(
            f"label: '{label}' ({y.dtype}) is not numeric; {learner} predicts numbers",
            param="label",
        )
    if task == "classification":
        if continuous(y):
            seen = ", ".join(f"{v:.4g}" for v in y.drop_duplicates().head(3))
            raise StepError(
                f"label: '{label}' holds continuous values ({y.nunique()} distinct: {seen}, …); "
                "use a regression learner, or if a step before rescaled the label (Normalize "
                f"data), add '{label}' to its exclude",
                param="label",
            )
        if y.nunique() < 2:
            raise StepError(
                f"label: '{label}' has a single class; a classifier needs two or more",
                param="label",
            )


def check_training_data(
    X: pd.DataFrame, y: pd.Series | None, label: str | None, model: UntrainedModel
) -> None:
    """Reject missing values and label types the learner cannot use, naming the columns."""
    allows_nan = "HistGradientBoosting" in type(model.estimator).__name__
    with_nan = [str(c) for c in X.columns if X[c].isna().any()]
    if with_nan and not allows_nan:
        raise StepError(
            f"dataset: feature columns {', '.join(map(repr, with_nan[:10]))} have missing values; "
            "add Clean missing data before training (or use a boosted tree learner)",
            port="dataset",
        )
    if y is None or label is None:
        return
    check_label(y, label, model.task, model.learner)
    if type(model.estimator).__name__ == "PoissonRegressor" and (y < 0).any():
        raise StepError(
            f"label: '{label}' has {int((y < 0).sum())} negative values; {model.learner} "
            "predicts counts and rates, which are never negative",
            param="label",
        )


def fit(
    model: UntrainedModel, df: pd.DataFrame, label: str, features: list[str], **overrides: Any
) -> TrainedModel:
    """Fit the learner on the features to predict the label."""
    X, y = df[features], df[label]
    check_training_data(X, y, label, model)
    estimator = build_estimator(model, X, **overrides)
    try:
        estimator.fit(X, y)
    except ValueError as exc:
        raise StepError(
            f"dataset: {model.learner} cannot be trained on this data: {exc}", port="dataset"
        ) from exc
    classes = (
        list(np.asarray(estimator.classes_).tolist()) if model.task == "classification" else []
    )
    return TrainedModel(
        learner=model.learner,
        task=model.task,
        estimator=estimator,
        features=features,
        label=label,
        classes=classes,
        hyperparameters={**scalar_params(model.estimator), **overrides},
    )


@contextmanager
def logged_warnings(ctx: StepContext, prefix: str = "") -> Iterator[None]:
    """Log the first line of each distinct warning raised in the block, once, after it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for message in sorted({str(w.message).strip().splitlines()[0] for w in caught}):
                ctx.log(f"warning: {prefix}{message}")


def train_model(ctx: StepContext) -> Mapping[str, Any]:
    """Fit an untrained classifier or regressor on the label column."""
    model = untrained_input(ctx)
    df = frame(ctx, "dataset")
    label = resolve_label(ctx, df)
    features = resolve_features(ctx, df, [label])
    with logged_warnings(ctx):
        trained = fit(model, df, label, features)
    ctx.log(f"trained {model.learner} on {len(df)} rows, {len(features)} features, label '{label}'")
    return {"model": trained}


def predict(trained: TrainedModel, X: pd.DataFrame) -> tuple[Any, Any]:
    """(labels or values, class probabilities) of a model's features; an anomaly detector's
    labels are 1 for an anomaly and 0 for a normal row, beside its anomaly scores."""
    estimator = trained.estimator
    if trained.task == "anomaly_detection":
        return _anomalies(estimator, X)
    labels = estimator.predict(X)
    return labels, estimator.predict_proba(X) if has_probabilities(trained) else None


def has_probabilities(trained: TrainedModel | UntrainedModel) -> bool:
    """Whether a classifier gives class probabilities (one-vs-one does not)."""
    return trained.task == "classification" and hasattr(trained.estimator, "predict_proba")


def _anomalies(estimator: Any, X: pd.DataFrame) -> tuple[Any, Any]:
    """An anomaly detector's flags (1: an anomaly) and anomaly scores (-score_samples). An
    isolation forest's, a local outlier factor's and a PCA detector's flags are their own
    predict's rule (score_samples - offset_ below 0) on the scores computed once: predict
    would walk every tree, or search every neighbour, again."""
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import LocalOutlierFactor

    from designer.modules.detectors import PcaDetector

    with warnings.catch_warnings():
        # LocalOutlierFactor.score_samples drops the feature names, then its kneighbors warns
        warnings.filterwarnings("ignore", "X does not have valid feature names", UserWarning)
        scores = estimator.score_samples(X)
    detector = learner_of(estimator)
    if isinstance(detector, IsolationForest | LocalOutlierFactor | PcaDetector):
        flags = scores - detector.offset_ < 0
    else:
        flags = estimator.predict(X) == -1
    return flags.astype("int64"), -scores


def scored_columns(trained: TrainedModel, labels: Any, proba: Any) -> dict[str, Any]:
    """Scored Labels, and for classifiers the positive class's Scored Probabilities (two
    classes) or one Scored Probabilities_<class> per class; for an anomaly detector its
    Anomaly Score (higher: more anomalous)."""
    columns = {SCORED_LABELS: labels}
    if trained.task == "anomaly_detection":
        return {**columns, ANOMALY_SCORE: proba}
    if proba is not None:
        if len(trained.classes) == 2:
            columns[SCORED_PROBABILITIES] = proba[:, 1]
        else:
            for i, cls in enumerate(trained.classes):
                columns[f"{SCORED_PROBABILITIES}_{cls}"] = proba[:, i]
    return columns


def quantile_of(estimator: Any) -> float | None:
    """The quantile a quantile regression's estimator (or the pipeline ending in it) predicts;
    None for any other (a mean, or not a regressor)."""
    params = learner_of(estimator).get_params(deep=False)
    return float(params["quantile"]) if params.get("loss") == "quantile" else None


def accepts_missing(trained: TrainedModel) -> bool:
    """Whether the model scores rows with missing feature values (boosted trees do)."""
    return "HistGradientBoosting" in repr(trained.estimator)


def score(trained: TrainedModel, df: pd.DataFrame) -> pd.DataFrame:
    """Append Scored Labels (and Scored Probabilities for classifiers) to the rows."""
    missing = [c for c in trained.features if c not in df.columns]
    if missing:
        raise StepError(
            f"dataset: the model was trained on columns {', '.join(map(repr, missing[:10]))}, "
            "which this table does not have",
            port="dataset",
        )
    X = df[trained.features]
    with_nan = [str(c) for c in X.columns if X[c].isna().any()]
    if with_nan and not accepts_missing(trained):
        raise StepError(
            f"dataset: feature columns {', '.join(map(repr, with_nan[:10]))} have missing values; "
            "clean them the same way as the training data",
            port="dataset",
        )
    out = df.copy(deep=False)  # copy-on-write copies a column on write
    try:
        for name, values in scored_columns(trained, *predict(trained, X)).items():
            out[name] = values
    except ValueError as exc:
        raise StepError(f"dataset: cannot score these rows: {exc}", port="dataset") from exc
    out.attrs[SCORED_ATTR] = {
        "task": trained.task,
        "label": trained.label,
        "classes": trained.classes,
        "learner": trained.learner,
        "anomaly_value": trained.anomaly_value,
        "quantile": quantile_of(trained.estimator),
        "probabilities": has_probabilities(trained),
    }
    return out


def score_model(ctx: StepContext) -> Mapping[str, Any]:
    """Predict with a trained model."""
    trained = trained_input(ctx)
    if trained.task == "clustering":
        raise StepError("model: for a clustering model use Assign data to clusters", port="model")
    return {"dataset": score(trained, frame(ctx, "dataset"))}
