"""Cross-validate, Tune hyperparameters and Permutation feature importance."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame
from designer.modules.evaluate import _evaluate_one, clean
from designer.modules.models import TrainedModel, UntrainedModel
from designer.modules.specs.ml import (
    CLASSIFICATION_METRICS,
    LOWER_IS_BETTER,
    QUANTILE_METRICS,
    REGRESSION_METRICS,
)
from designer.modules.training import (
    build_estimator,
    check_training_data,
    fit,
    has_probabilities,
    quantile_of,
    resolve_features,
    resolve_label,
    score,
    trained_input,
    untrained_input,
)

FOLD_COLUMN = "Fold"
PROBABILITY_METRICS = ("auc", "log_loss")


def seed_of(ctx: StepContext) -> int | None:
    """The step's seed param (None: a fresh random state each run)."""
    seed = ctx.params.get("seed")
    return None if seed is None else int(seed)


def _splitter(task: str, folds: int, seed: int | None) -> Any:
    from sklearn.model_selection import KFold, StratifiedKFold

    kind = StratifiedKFold if task == "classification" else KFold
    return kind(n_splits=folds, shuffle=True, random_state=seed)


def fold_splits(
    task: str, X: pd.DataFrame, y: pd.Series, folds: int, seed: int | None
) -> list[tuple[Any, Any]]:
    """The (train, test) row positions of each of K shuffled folds, stratified by the label for
    a classification; too few rows or members of a class for the folds are named."""
    if folds > len(X):
        raise StepError(
            f"folds: {folds} folds need at least {folds} rows, got {len(X)}", param="folds"
        )
    try:
        return list(_splitter(task, folds, seed).split(X, y))
    except ValueError as exc:
        raise StepError(
            f"folds: cannot make {folds} folds of this data: {exc}", param="folds"
        ) from exc


def classes_of(y: pd.Series, task: str) -> list[Any]:
    """A classification label's classes in the order the scorers take (empty otherwise)."""
    return sorted(y.unique().tolist(), key=str) if task == "classification" else []


def cross_validate(ctx: StepContext) -> Mapping[str, Any]:
    """Train and score K times on K folds; report per-fold and mean metrics."""
    model = untrained_input(ctx)
    df = frame(ctx, "dataset")
    label = resolve_label(ctx, df)
    features = resolve_features(ctx, df, [label])
    folds = int(ctx.params.get("folds", 5))
    check_training_data(df[features], df[label], label, model)
    parts: list[pd.DataFrame] = []
    per_fold: list[dict[str, Any]] = []
    splits = fold_splits(model.task, df[features], df[label], folds, seed_of(ctx))
    for k, (train_idx, test_idx) in enumerate(splits):
        trained = fit(model, df.iloc[train_idx], label, features)
        scored = score(trained, df.iloc[test_idx])
        per_fold.append(
            {
                "fold": k,
                "rows": len(test_idx),
                "metrics": _evaluate_one(scored, "dataset")["metrics"],
            }
        )
        scored.insert(0, FOLD_COLUMN, k)
        parts.append(scored)
        ctx.progress(k + 1, folds)
    names = [
        n for n in per_fold[0]["metrics"] if all(f["metrics"].get(n) is not None for f in per_fold)
    ]
    table = pd.DataFrame([f["metrics"] for f in per_fold])[names].astype("float64")
    out = pd.concat(parts).sort_index().reset_index(drop=True)
    out.attrs = dict(parts[0].attrs)
    metrics = {
        "task": "classification" if model.task == "classification" else "regression",
        "learner": model.learner,
        "metrics": {n: clean(table[n].mean()) for n in names},
        "std": {n: clean(table[n].std(ddof=0)) for n in names},
        "folds": per_fold,
    }
    return {"scored": out, "metrics": metrics}


def scorer(
    metric: str,
    task: str,
    classes: list[Any],
    quantile: float | None = None,
    probabilities: bool = True,
) -> Any:
    """Return a scikit-learn scorer for a metric name (greater is better); the pinball loss
    needs the quantile a quantile regression predicts, AUC and log loss a classifier's
    probabilities."""
    from sklearn import metrics as m

    if metric in PROBABILITY_METRICS and task == "classification" and not probabilities:
        others = [n for n in CLASSIFICATION_METRICS if n not in PROBABILITY_METRICS]
        raise StepError(
            f"metric: '{metric}' needs class probabilities, which a one-vs-one classifier does "
            f"not give; choose one of {', '.join(others)}",
            param="metric",
        )

    if metric in QUANTILE_METRICS:
        if quantile is None:
            others = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
            raise StepError(
                f"metric: '{metric}' scores a quantile regression; "
                f"choose one of {', '.join(others)}",
                param="metric",
            )
        return m.make_scorer(m.mean_pinball_loss, alpha=quantile, greater_is_better=False)
    if task == "classification" and metric not in CLASSIFICATION_METRICS:
        raise StepError(
            f"metric: '{metric}' is a regression metric; "
            f"choose one of {', '.join(CLASSIFICATION_METRICS)}",
            param="metric",
        )
    if task == "regression" and metric not in REGRESSION_METRICS:
        raise StepError(
            f"metric: '{metric}' is a classification metric; "
            f"choose one of {', '.join(REGRESSION_METRICS)}",
            param="metric",
        )
    binary = len(classes) == 2
    averaging: dict[str, Any] = {"pos_label": classes[1]} if binary else {"average": "macro"}
    table: dict[str, Any] = {
        "accuracy": "accuracy",
        "precision": m.make_scorer(m.precision_score, zero_division=0, **averaging),
        "recall": m.make_scorer(m.recall_score, zero_division=0, **averaging),
        "f1": m.make_scorer(m.f1_score, zero_division=0, **averaging),
        "auc": "roc_auc" if binary else "roc_auc_ovr",
        "log_loss": "neg_log_loss",
        "mae": "neg_mean_absolute_error",
        "rmse": "neg_root_mean_squared_error",
        "r2": "r2",
    }
    return table[metric]


def sign_of(metric: str) -> float:
    """-1 for a metric whose scorer negates it (lower is better), else 1."""
    return -1.0 if metric in LOWER_IS_BETTER else 1.0


def _space(ctx: StepContext, model: UntrainedModel) -> dict[str, list[Any]]:
    text = str(ctx.params.get("space") or "").strip()
    if not text:
        return dict(model.search_space)
    try:
        space = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StepError(
            f"space: not valid JSON ({exc.msg} at line {exc.lineno})", param="space"
        ) from exc
    if not isinstance(space, dict) or not space:
        raise StepError('space: expected an object like {"C": [0.1, 1, 10]}', param="space")
    known = model.estimator.get_params(deep=True)  # a wrapped estimator's as estimator__name
    for name, values in space.items():
        if name not in known:
            raise StepError(
                f"space: {model.learner} has no hyperparameter '{name}'; "
                f"it has {', '.join(sorted(known))}",
                param="space",
            )
        if not isinstance(values, list) or not values:
            raise StepError(
                f"space: '{name}' must map to a non-empty list of values", param="space"
            )
    return space


def _display(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool, type(None))) else json.dumps(value)


def tune_hyperparameters(ctx: StepContext) -> Mapping[str, Any]:
    """Grid or random search by cross-validation; refit the best settings on all rows."""
    from sklearn.model_selection import GridSearchCV, ParameterGrid, RandomizedSearchCV

    model = untrained_input(ctx)
    df = frame(ctx, "dataset")
    label = resolve_label(ctx, df)
    features = resolve_features(ctx, df, [label])
    X, y = df[features], df[label]
    check_training_data(X, y, label, model)
    space = _space(ctx, model)
    metric = str(ctx.params.get("metric") or "accuracy")
    classes = classes_of(y, model.task)
    estimator = build_estimator(model, X)
    prefix = "learner__" if hasattr(estimator, "steps") else ""
    grid = {prefix + k: v for k, v in space.items()}
    common: dict[str, Any] = {
        "scoring": scorer(
            metric, model.task, classes, quantile_of(model.estimator), has_probabilities(model)
        ),
        "cv": _splitter(model.task, int(ctx.params.get("folds", 3)), seed_of(ctx)),
        "refit": True,
        "error_score": "raise",
    }
    if ctx.params.get("method", "grid") == "random":
        trials = min(int(ctx.params.get("iterations", 10)), len(ParameterGrid(grid)))
        search: Any = RandomizedSearchCV(
            estimator, grid, n_iter=trials, random_state=seed_of(ctx), **common
        )
    else:
        search = GridSearchCV(estimator, grid, **common)
    try:
        search.fit(X, y)
    except ValueError as exc:
        raise StepError(f"space: the search failed: {exc}", param="space") from exc
    best = {k.removeprefix(prefix): v for k, v in search.best_params_.items()}
    cv = search.cv_results_
    sign = sign_of(metric)
    results = (
        pd.DataFrame(
            {
                "rank": cv["rank_test_score"],
                **{name: [_display(p[prefix + name]) for p in cv["params"]] for name in space},
                f"mean {metric}": sign * np.asarray(cv["mean_test_score"]),
                f"std {metric}": np.asarray(cv["std_test_score"]),
                "fit seconds": np.asarray(cv["mean_fit_time"]),
            }
        )
        .sort_values("rank", kind="stable")
        .reset_index(drop=True)
    )
    trained = TrainedModel(
        learner=model.learner,
        task=model.task,
        estimator=search.best_estimator_,
        features=features,
        label=label,
        classes=list(np.asarray(search.best_estimator_.classes_).tolist())
        if model.task == "classification"
        else [],
        hyperparameters={k: _display(v) for k, v in best.items()},
    )
    ctx.log(f"best {metric} {sign * search.best_score_:.6g} with {best}")
    return {"model": trained, "results": results}


def permutation_importance(ctx: StepContext) -> Mapping[str, Any]:
    """Drop in the metric when each feature is shuffled, on the given data."""
    from sklearn.inspection import permutation_importance as sk_permutation_importance

    trained = trained_input(ctx)
    if trained.task not in ("classification", "regression") or not trained.label:
        raise StepError(
            "model: permutation importance needs a trained classifier or regressor", port="model"
        )
    df = frame(ctx, "dataset")
    missing = [c for c in [*trained.features, trained.label] if c not in df.columns]
    if missing:
        raise StepError(
            f"dataset: the table lacks the model's columns {', '.join(map(repr, missing))}",
            port="dataset",
        )
    X, y = df[trained.features], df[trained.label]
    metric = str(ctx.params.get("metric") or "accuracy")
    result = sk_permutation_importance(
        trained.estimator,
        X,
        y,
        scoring=scorer(
            metric,
            trained.task,
            trained.classes,
            quantile_of(trained.estimator),
            has_probabilities(trained),
        ),
        n_repeats=int(ctx.params.get("repeats", 5)),
        random_state=seed_of(ctx),
    )
    table = pd.DataFrame(
        {
            "Feature": trained.features,
            "Importance": result.importances_mean,
            "Std": result.importances_std,
        }
    )
    return {
        "dataset": table.sort_values("Importance", ascending=False, kind="stable").reset_index(
            drop=True
        )
    }
