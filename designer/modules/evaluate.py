"""Evaluate model: classification, regression and clustering metrics of scored tables."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import frame, optional_frame
from designer.modules.training import (
    ANOMALY_SCORE,
    SCORED_ATTR,
    SCORED_LABELS,
    SCORED_PROBABILITIES,
)

ASSIGNMENTS = "Assignments"
CLUSTER_ATTR = "designer_clusters"  # DataFrame.attrs key set by the clustering modules
RECOMMENDED_ATTR = "designer_recommended"  # set by Score SVD recommender (recommender.py)
CURVE_POINTS = 101
SCATTER_POINTS = 500  # rows drawn in the predicted-against-actual plot
RESIDUAL_BINS = 30


def clean(value: Any) -> Any:
    """Make a number JSON-ready: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _thin(*arrays: np.ndarray) -> list[list[Any]]:
    n = len(arrays[0])
    keep: Any = (
        np.unique(np.linspace(0, n - 1, min(n, CURVE_POINTS)).round().astype(int)) if n else []
    )
    return [[clean(v) for v in np.asarray(a)[keep].tolist()] for a in arrays]


def _curves(y_true: np.ndarray, score: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import precision_recall_curve, roc_curve

    fpr, tpr, roc_thr = roc_curve(y_true, score)
    precision, recall, pr_thr = precision_recall_curve(y_true, score)
    fpr_l, tpr_l, roc_t = _thin(fpr, tpr, roc_thr)
    prec_l, rec_l, pr_t = _thin(precision[:-1], recall[:-1], pr_thr)
    return {
        "roc": {"fpr": fpr_l, "tpr": tpr_l, "threshold": roc_t},
        "pr": {"precision": prec_l, "recall": rec_l, "threshold": pr_t},
    }


def _probabilities(df: pd.DataFrame, classes: list[Any]) -> np.ndarray:
    if len(classes) == 2:
        p = df[SCORED_PROBABILITIES].to_numpy(dtype="float64")
        return np.column_stack([1.0 - p, p])
    return np.column_stack(
        [df[f"{SCORED_PROBABILITIES}_{c}"].to_numpy(dtype="float64") for c in classes]
    )


NO_PROBABILITIES = "the model gives no class probabilities (one-vs-one votes)"


def classification_metrics(
    y: pd.Series, pred: pd.Series, proba: np.ndarray | None, classes: list[Any]
) -> dict[str, Any]:
    """Metrics, confusion matrix and curves of a classifier's scores; without probabilities
    (`proba` None: one-vs-one) no AUC, log loss or curves, and `unavailable` says why."""
    from sklearn import metrics as m

    binary = len(classes) == 2
    kw: dict[str, Any] = (
        {"average": "binary", "pos_label": classes[1]}
        if binary
        else {"average": "macro", "labels": classes}
    )
    # what precision_score, recall_score and f1_score each compute and return a third of
    precision, recall, f1, _ = m.precision_recall_fscore_support(y, pred, zero_division=0, **kw)
    result: dict[str, Any] = {
        "accuracy": m.accuracy_score(y, pred),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
    matrix = m.confusion_matrix(y, pred, labels=classes)
    by_class = m.precision_recall_fscore_support(y, pred, labels=classes, zero_division=0)
    per_class = {
        str(c): {
            "precision": clean(by_class[0][i]),
            "recall": clean(by_class[1][i]),
            "f1": clean(by_class[2][i]),
            "support": int(by_class[3][i]),
        }
        for i, c in enumerate(classes)
    }
    if proba is None:
        result |= {"auc": None, "log_loss": None}
        ranked: dict[str, Any] = {
            "curves": {},
            "unavailable": {name: NO_PROBABILITIES for name in ("auc", "log_loss", "curves")},
        }
    else:
        ranked = {"curves": _probability_curves(y, proba, classes)}
        result |= _probability_metrics(y, proba, classes)
    return {
        "metrics": {k: clean(v) for k, v in result.items()},
        "confusion_matrix": {"labels": [clean(c) for c in classes], "matrix": matrix.tolist()},
        "per_class": per_class,
        **ranked,
    }


def _probability_metrics(y: pd.Series, proba: np.ndarray, classes: list[Any]) -> dict[str, Any]:
    """The ROC AUC (macro one-vs-rest for several classes) and log loss of the probabilities."""
    from sklearn import metrics as m

    try:
        if len(classes) == 2:
            auc = m.roc_auc_score((y == classes[1]).to_numpy(), proba[:, 1])
        else:
            auc = m.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
    except ValueError:  # a class absent from the evaluated rows
        return {"auc": None, "log_loss": None}
    try:
        return {"auc": auc, "log_loss": m.log_loss(y, proba, labels=classes)}
    except ValueError:
        return {"auc": auc, "log_loss": None}


def _probability_curves(
    y: pd.Series, proba: np.ndarray, classes: list[Any]
) -> dict[str, dict[str, Any]]:
    """ROC and precision-recall curves: the positive class's, or each class's against the rest."""
    y_arr = y.to_numpy()
    if len(classes) == 2:
        return {str(classes[1]): _curves(y_arr == classes[1], proba[:, 1])}
    return {
        str(c): _curves(y_arr == c, proba[:, i])
        for i, c in enumerate(classes)
        if (y_arr == c).any()
    }


def regression_metrics(
    y: pd.Series, pred: pd.Series, quantile: float | None = None
) -> dict[str, Any]:
    """MAE, RMSE, R² and relative absolute and squared errors; for a quantile regression its
    pinball loss and the share of labels at or below the predictions (its coverage)."""
    from sklearn import metrics as m

    y_arr, p_arr = y.to_numpy(dtype="float64"), pred.to_numpy(dtype="float64")
    deviation = y_arr - y_arr.mean()
    mse = m.mean_squared_error(y_arr, p_arr)
    result = {
        "mae": m.mean_absolute_error(y_arr, p_arr),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "r2": m.r2_score(y_arr, p_arr),
        "relative_absolute_error": np.abs(y_arr - p_arr).sum() / np.abs(deviation).sum(),
        "relative_squared_error": ((y_arr - p_arr) ** 2).sum() / (deviation**2).sum(),
    }
    if quantile is not None:
        result["pinball_loss"] = m.mean_pinball_loss(y_arr, p_arr, alpha=quantile)
        result["coverage"] = float(np.mean(y_arr <= p_arr))
    return {"metrics": {k: clean(v) for k, v in result.items()}}


def regression_plots(y: pd.Series, pred: pd.Series) -> dict[str, Any]:
    """Predicted against actual values (up to SCATTER_POINTS rows, spread evenly over the table)
    and a histogram of the residuals (actual minus predicted)."""
    y_arr, p_arr = y.to_numpy(dtype="float64"), pred.to_numpy(dtype="float64")
    keep = np.unique(np.linspace(0, len(y_arr) - 1, min(len(y_arr), SCATTER_POINTS)).astype(int))
    counts, edges = np.histogram(y_arr - p_arr, bins=RESIDUAL_BINS)
    return {
        "predicted_vs_actual": {
            "actual": [clean(v) for v in y_arr[keep]],
            "predicted": [clean(v) for v in p_arr[keep]],
        },
        "residuals": {"counts": counts.tolist(), "edges": [clean(v) for v in edges]},
    }


def clustering_metrics(df: pd.DataFrame, features: list[str]) -> dict[str, Any]:
    """Silhouette, Davies-Bouldin and Calinski-Harabasz scores and cluster sizes."""
    from sklearn import metrics as m

    X, labels = df[features].to_numpy(dtype="float64"), df[ASSIGNMENTS].to_numpy()
    k = len(np.unique(labels))
    result: dict[str, Any] = {"clusters": k}
    if 2 <= k < len(df):
        result["silhouette"] = m.silhouette_score(X, labels)
        result["davies_bouldin"] = m.davies_bouldin_score(X, labels)
        result["calinski_harabasz"] = m.calinski_harabasz_score(X, labels)
    sizes = pd.Series(labels).value_counts().sort_index()
    return {
        "metrics": {key: clean(v) for key, v in result.items()},
        "cluster_sizes": {str(key): int(v) for key, v in sizes.items()},
    }


def anomaly_metrics(df: pd.DataFrame, label: str | None, marked: Any) -> dict[str, Any]:
    """How many rows were flagged, and against the label column (when the rows hold it):
    accuracy, precision, recall and F1 of the flags, the ROC AUC of the anomaly scores, the
    confusion matrix and the curves."""
    from sklearn import metrics as m

    flagged = df[SCORED_LABELS].to_numpy() == 1
    result: dict[str, Any] = {"anomalies": int(flagged.sum()), "anomaly_share": flagged.mean()}
    if label is None or label not in df.columns:
        return {"metrics": {k: clean(v) for k, v in result.items()}}
    truth = (df[label] == marked).to_numpy(dtype=bool)
    score = df[ANOMALY_SCORE].to_numpy(dtype="float64")
    both = 0 < truth.sum() < len(truth)
    result |= {
        "accuracy": m.accuracy_score(truth, flagged),
        "precision": m.precision_score(truth, flagged, zero_division=0),
        "recall": m.recall_score(truth, flagged, zero_division=0),
        "f1": m.f1_score(truth, flagged, zero_division=0),
        "auc": m.roc_auc_score(truth, score) if both else None,
    }
    matrix = m.confusion_matrix(truth, flagged, labels=[False, True])
    return {
        "metrics": {k: clean(v) for k, v in result.items()},
        "confusion_matrix": {"labels": ["normal", "anomaly"], "matrix": matrix.tolist()},
        "curves": {"anomaly": _curves(truth, score)} if both else {},
    }


def _evaluate_one(df: pd.DataFrame, port: str) -> dict[str, Any]:
    if CLUSTER_ATTR in df.attrs and ASSIGNMENTS in df.columns:
        info = df.attrs[CLUSTER_ATTR]
        return {
            "task": "clustering",
            "learner": info.get("learner"),
            **clustering_metrics(df, list(info["features"])),
        }
    if RECOMMENDED_ATTR in df.attrs:
        raise StepError(
            f"{port}: these are a recommender's scores; connect them to Evaluate recommender",
            port=port,
        )
    info = df.attrs.get(SCORED_ATTR)
    if not info or SCORED_LABELS not in df.columns:
        raise StepError(
            f"{port}: this table has no scores; connect the output of Score model "
            "or Assign data to clusters",
            port=port,
        )
    label = info["label"]
    head = {"learner": info.get("learner"), "label": label, "rows": len(df)}
    if label in df.columns and df[label].isna().any():
        raise StepError(f"{port}: the label column '{label}' has missing values", port=port)
    if info["task"] == "anomaly_detection":  # unlabelled rows get their counts
        return {"task": info["task"], **head, **anomaly_metrics(df, label, info["anomaly_value"])}
    if label not in df.columns:
        raise StepError(
            f"{port}: the scored rows lack the label column '{label}' to compare with", port=port
        )
    y, pred = df[label], df[SCORED_LABELS]
    if info["task"] == "regression":
        metrics = regression_metrics(y, pred, info.get("quantile"))
        return {"task": "regression", **head, **metrics, **regression_plots(y, pred)}
    classes = list(info["classes"])
    task = "binary" if len(classes) == 2 else "multiclass"
    proba = _probabilities(df, classes) if info.get("probabilities", True) else None
    return {
        "task": task,
        **head,
        **classification_metrics(y, pred, proba, classes),
    }


def evaluate_model(ctx: StepContext) -> Mapping[str, Any]:
    """Compute metrics of one scored table, or of two side by side."""
    results = [{"input": "scored", **_evaluate_one(frame(ctx, "scored"), "scored")}]
    second = optional_frame(ctx, "scored2")
    if second is not None:
        if second.empty:
            raise StepError("scored2: input 'scored2' has no rows", port="scored2")
        results.append({"input": "scored2", **_evaluate_one(second, "scored2")})
        kinds = {r["task"] for r in results}
        if len(kinds) > 1:
            raise StepError(
                f"scored2: cannot compare {results[0]['task']} with {results[1]['task']} scores",
                port="scored2",
            )
    return {
        "metrics": {
            "task": results[0]["task"],
            "metrics": results[0]["metrics"],
            "results": results,
        }
    }
