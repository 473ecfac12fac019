"""Compare learners: cross-validate the built-in learners of a task and train the best."""

from __future__ import annotations

from collections.abc import Mapping
from time import monotonic
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.engine.params import default_value
from designer.engine.registry import load_implementation
from designer.modules._frames import frame
from designer.modules.models import UntrainedModel
from designer.modules.schemas import LEADERBOARD_COLUMNS
from designer.modules.specs.ml import (
    COMPARED_LEARNERS,
    LEARNERS,
    LOWER_IS_BETTER,
    MAX_AUTO_CLASSES,
)
from designer.modules.training import (
    build_estimator,
    check_label,
    check_training_data,
    continuous,
    fit,
    logged_warnings,
    resolve_features,
    resolve_label,
)
from designer.modules.tuning import classes_of, fold_splits, scorer, seed_of, sign_of

AUTO_METRICS = {"classification": "accuracy", "regression": "r2"}
_SPECS = {spec.name.removeprefix("ml."): spec for spec in LEARNERS}


class _LearnerContext:
    """The step's context as a learner module sees it: with that learner's own params."""

    def __init__(self, ctx: StepContext, params: Mapping[str, Any]):
        self._ctx = ctx
        self.params = params

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)


def learner(ctx: StepContext, name: str, seed: int | None) -> UntrainedModel:
    """The learner module `name` as its spec's defaults make it, seeded with the step's seed."""
    spec = _SPECS[name]
    params = {p.name: default_value(p) for p in spec.params}
    if "seed" in params:
        params["seed"] = seed
    made = load_implementation(spec.implementation)(_LearnerContext(ctx, params))
    model: UntrainedModel = made["model"]
    return model


def _task(ctx: StepContext, y: pd.Series, label: str) -> str:
    """The task param, or (auto) classification for a label of text, booleans or at most
    MAX_AUTO_CLASSES whole numbers, regression for other numbers."""
    chosen = str(ctx.params.get("task") or "auto")
    if chosen != "auto":
        return chosen
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if not numeric:
        task, why = "classification", f"{y.dtype} values"
    elif continuous(y):
        task, why = "regression", "numbers that are not all whole"
    elif y.nunique() > MAX_AUTO_CLASSES:
        task, why = "regression", f"{y.nunique()} distinct whole numbers"
    else:
        task, why = "classification", f"{y.nunique()} distinct whole numbers"
    ctx.log(f"task: {task}, as the label '{label}' holds {why} (set task to choose)")
    return task


def _chosen(ctx: StepContext, task: str) -> list[str]:
    """The learners param's names, in its order, each checked to be a learner of the task; empty:
    every learner of the task."""
    offered = COMPARED_LEARNERS[task]
    names = [n.strip() for n in str(ctx.params.get("learners") or "").split(",") if n.strip()]
    for name in names:
        if name not in offered:
            other = next((t for t, ns in COMPARED_LEARNERS.items() if name in ns), None)
            why = f"'{name}' is a {other} learner" if other else f"no learner is named '{name}'"
            raise StepError(
                f"learners: {why}; the {task} learners are {', '.join(offered)}",
                param="learners",
            )
    return list(dict.fromkeys(names)) or list(offered)


def _scores(
    ctx: StepContext,
    model: UntrainedModel,
    df: pd.DataFrame,
    label: str,
    features: list[str],
    splits: list[tuple[Any, Any]],
    scoring: Any,
) -> tuple[np.ndarray, float]:
    """The learner's score on each fold (greater is better) and its mean fit seconds."""
    from sklearn.model_selection import cross_validate

    X, y = df[features], df[label]
    check_training_data(X, y, label, model)
    with logged_warnings(ctx, f"{model.learner}: "):
        result = cross_validate(
            build_estimator(model, X), X, y, scoring=scoring, cv=splits, error_score="raise"
        )
    return np.asarray(result["test_score"]), float(np.mean(result["fit_time"]))


def compare_learners(ctx: StepContext) -> Mapping[str, Any]:
    """Cross-validate each chosen learner on the same folds, rank them, train the best."""
    df = frame(ctx, "dataset")
    label = resolve_label(ctx, df)
    features = resolve_features(ctx, df, [label])
    y = df[label]
    task = _task(ctx, y, label)
    check_label(y, label, task, f"a {task} learner")
    names = _chosen(ctx, task)
    metric = str(ctx.params.get("metric") or "auto")
    metric = AUTO_METRICS[task] if metric == "auto" else metric
    scoring = scorer(metric, task, classes_of(y, task))
    seed = seed_of(ctx)
    splits = fold_splits(task, df[features], y, int(ctx.params.get("folds", 5)), seed)
    budget = ctx.params.get("time_budget")
    sign, start = sign_of(metric), monotonic()
    rows: list[dict[str, Any]] = []
    for k, name in enumerate(names):
        try:
            scores, seconds = _scores(
                ctx, learner(ctx, name, seed), df, label, features, splits, scoring
            )
        except Exception as exc:  # a learner that fails is listed, not fatal
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            ctx.log(f"{name}: failed: {first}")
            rows.append(_row(name, metric, note=f"failed: {first}"))
        else:
            mean = sign * float(np.mean(scores))
            std = float(np.std(scores))
            rows.append(_row(name, metric, mean=mean, std=std, **{"fit seconds": seconds}))
            ctx.log(f"{name}: mean {metric} {mean:.6g} over {len(splits)} folds")
        ctx.progress(k + 1, len(names) + 1)
        spent = monotonic() - start
        if budget is not None and spent >= budget and names[k + 1 :]:
            note = f"skipped: the time budget of {budget} s was spent ({spent:.1f} s)"
            ctx.log(f"{note}; not tried: {', '.join(names[k + 1 :])}")
            rows += [_row(n, metric, note=note) for n in names[k + 1 :]]
            break
    board = pd.DataFrame(rows).reindex(columns=[c["name"] for c in LEADERBOARD_COLUMNS])
    board["rank"] = board["mean"].rank(method="min", ascending=metric in LOWER_IS_BETTER)
    board = board.sort_values("rank", kind="stable", na_position="last").reset_index(drop=True)
    board = board.astype({c["name"]: c["dtype"] for c in LEADERBOARD_COLUMNS})
    if board["rank"].isna().all():
        raise StepError(
            f"learners: no learner could be trained: {'; '.join(map(_failure, rows))}",
            param="learners",
        )
    best = str(board["name"].iloc[0])
    with logged_warnings(ctx, f"{best}: "):
        trained = fit(learner(ctx, best, seed), df, label, features)
    ctx.progress(len(names) + 1, len(names) + 1)
    ctx.log(
        f"best: {trained.learner}, mean {metric} {board['mean'].iloc[0]:.6g}; "
        f"trained on {len(df)} rows, {len(features)} features, label '{label}'"
    )
    return {"leaderboard": board, "model": trained}


def _row(name: str, metric: str, **values: Any) -> dict[str, Any]:
    return {"learner": _SPECS[name].display_name, "name": name, "metric": metric, **values}


def _failure(row: Mapping[str, Any]) -> str:
    return f"{row['name']}: {row['note']}"
