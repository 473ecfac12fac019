"""Evaluate recommender: MAE and RMSE of predicted ratings, NDCG, precision and recall at N of
recommended items, against held-out ratings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame, require_columns
from designer.modules.evaluate import RECOMMENDED_ATTR, clean
from designer.modules.recommender import raw_ids
from designer.modules.schemas import RECOMMENDED_USER as USER
from designer.modules.schemas import SCORED_RATING, recommended_columns


def _test_columns(ctx: StepContext, test: pd.DataFrame, info: Mapping[str, Any]) -> list[str]:
    """The test table's user, item and rating columns (empty params: the model's names)."""
    names = []
    for param in ("user", "item", "rating"):
        name = str(ctx.params.get(param) or "").strip() or str(info[f"model_{param}"])
        require_columns(test, [name], param)
        if test[name].isna().any():
            raise StepError(
                f"{param}: column '{name}' of the test table has "
                f"{int(test[name].isna().sum())} missing values",
                param=param,
            )
        names.append(name)
    rating = names[2]
    if pd.api.types.is_bool_dtype(test[rating]) or not pd.api.types.is_numeric_dtype(test[rating]):
        raise StepError(
            f"rating: column '{rating}' of the test table ({test[rating].dtype}) is not numeric",
            param="rating",
        )
    return names


def rating_metrics(
    test: pd.DataFrame, scored: pd.DataFrame, columns: list[str], info: Mapping[str, Any]
) -> dict[str, Any]:
    """MAE and RMSE of the scored pairs that have a test rating, as surprise.accuracy computes
    them (a pair rated twice in the test table is refused: which rating would it be?)."""
    from surprise import accuracy
    from surprise.prediction_algorithms.predictions import Prediction

    user, item, rating = columns
    pairs = list(zip(raw_ids(test[user]), raw_ids(test[item]), strict=True))
    truth = dict(zip(pairs, test[rating].astype("float64").tolist(), strict=True))
    if len(truth) < len(pairs):
        raise StepError(
            f"test: {len(pairs) - len(truth)} user, item pairs are rated more than once; keep "
            "one rating per pair (Remove duplicate rows)",
            port="test",
        )
    predictions = [
        Prediction(u, i, truth[(u, i)], est, {})
        for u, i, est in zip(
            raw_ids(scored[info["user"]]),
            raw_ids(scored[info["item"]]),
            scored[SCORED_RATING].astype("float64").tolist(),
            strict=True,
        )
        if (u, i) in truth
    ]
    if not predictions:
        raise StepError(
            "test: none of the scored user, item pairs is rated in the test table", port="test"
        )
    return {
        "rows": len(predictions),
        "metrics": {
            "mae": accuracy.mae(predictions, verbose=False),
            "rmse": accuracy.rmse(predictions, verbose=False),
        },
    }


def ranking_metrics(
    test: pd.DataFrame, scored: pd.DataFrame, columns: list[str], count: int, threshold: float
) -> dict[str, Any]:
    """NDCG, precision and recall at N, averaged over the users with a relevant test item (one
    the test table rates at or above the threshold); binary relevance."""
    user, item, rating = columns
    relevant: dict[Any, set[Any]] = {}
    for u, i, r in zip(
        raw_ids(test[user]), raw_ids(test[item]), test[rating].tolist(), strict=True
    ):
        if r >= threshold:
            relevant.setdefault(u, set()).add(i)
    discounts = 1.0 / np.log2(np.arange(2, count + 2))
    ndcg, precision, recall = [], [], []
    picks = recommended_columns(count)
    for u, *items in zip(raw_ids(scored[USER]), *(raw_ids(scored[c]) for c in picks), strict=True):
        wanted = relevant.get(u)
        if not wanted:
            continue
        shown = [i for i in items if not pd.isna(i)]
        hits = np.array([i in wanted for i in shown] + [False] * (count - len(shown)))
        ideal = discounts[: min(len(wanted), count)].sum()
        ndcg.append(float(discounts[hits].sum() / ideal))
        precision.append(float(hits.sum() / count))
        recall.append(float(hits.sum() / len(wanted)))
    if not ndcg:
        raise StepError(
            f"relevance_threshold: no scored user rates any test item at {threshold:g} or more; "
            "lower the threshold or score the test table's users",
            param="relevance_threshold",
        )
    return {
        "rows": len(ndcg),
        "metrics": {
            "ndcg": float(np.mean(ndcg)),
            "precision": float(np.mean(precision)),
            "recall": float(np.mean(recall)),
        },
    }


def evaluate_recommender(ctx: StepContext) -> Mapping[str, Any]:
    """Metrics of a Score SVD recommender output against the test table's ratings."""
    test, scored = frame(ctx, "test"), frame(ctx, "scored")
    info = scored.attrs.get(RECOMMENDED_ATTR)
    if not info:
        raise StepError(
            "scored: this table has no recommender scores; connect the output of Score SVD "
            "recommender",
            port="scored",
        )
    columns = _test_columns(ctx, test, info)
    if info["mode"] == "rating_prediction":
        needed = [info["user"], info["item"], SCORED_RATING]
    else:
        needed = [USER, *recommended_columns(int(info["count"]))]
    lost = [c for c in needed if c not in scored.columns]
    if lost:
        raise StepError(
            f"scored: the scored table lacks {', '.join(repr(c) for c in lost)}; connect Score "
            "SVD recommender's output as it is",
            port="scored",
        )
    if info["mode"] == "rating_prediction":
        task = "rating_prediction"
        result = rating_metrics(test, scored, columns, info)
    else:
        task = "item_recommendation"
        threshold = float(ctx.params.get("relevance_threshold", 4.0))
        result = ranking_metrics(test, scored, columns, int(info["count"]), threshold)
        result = {**result, "count": info["count"], "relevance_threshold": threshold}
    metrics = {k: clean(v) for k, v in result.pop("metrics").items()}
    ctx.log(
        f"{task.replace('_', ' ')} on {result['rows']} "
        f"{'pairs' if task == 'rating_prediction' else 'users'}: "
        + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items())
    )
    one = {
        "input": "scored",
        "task": task,
        "learner": info["learner"],
        **result,
        "metrics": metrics,
    }
    return {"metrics": {"task": task, "metrics": metrics, "results": [one]}}
