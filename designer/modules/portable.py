"""Our fitted objects as plain scikit-learn objects (joblib-loadable without this package) and
trained models as ONNX graphs checked against scikit-learn on given rows.

`to_sklearn(value)` is the one conversion every download and export uses: a TrainedModel
becomes a Pipeline that takes a whole table (it picks the feature columns by name); a fitted
transform becomes a ColumnTransformer where scikit-learn can express it. `to_onnx(trained,
rows)` converts with skl2onnx and keeps the conversion only when onnxruntime's outputs on
`rows` match scikit-learn's within the tolerances below.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from designer.modules.fitted import CleanTransform, OneHotTransform, ScaleTransform
from designer.modules.models import TrainedModel
from designer.modules.training import has_probabilities, learner_of, predict

# ONNX is accepted when, on every checked row, the labels are identical and each probability
# (or regression value) v_onnx satisfies |v_onnx - v_sklearn| <= ABS_TOLERANCE +
# REL_TOLERANCE * |v_sklearn|. Tree ensembles compare float32 thresholds, so float32 inputs
# reproduce their decisions; float64 is tried first for everything else.
ABS_TOLERANCE = 1e-5
REL_TOLERANCE = 1e-5
FLOAT_TYPES = ("float64", "float32")
TARGET_OPSET = 18


class NotPortable(Exception):
    """The object cannot be expressed in the target format; the message says why."""


def to_sklearn(value: Any, columns: Sequence[str] | None = None) -> Any:
    """A plain scikit-learn equivalent of a trained model or fitted transform (NotPortable).

    A fitted transform needs `columns`, those of the table it will transform: the result
    passes the other ones through (in a ColumnTransformer, after the transformed ones).
    """
    if isinstance(value, TrainedModel):
        return portable_model(value)
    if isinstance(value, ScaleTransform | CleanTransform | OneHotTransform):
        if columns is None:
            raise NotPortable("a fitted transform needs the columns of the table it transforms")
        return portable_transform(value, columns)
    raise NotPortable(f"a {type(value).__name__} has no scikit-learn equivalent")


def _pandas_columns(transformers: list[tuple[str, Any, list[str]]], columns: Sequence[str]) -> Any:
    """A ColumnTransformer of already fitted transformers (frozen: fitting leaves them as they
    are), fitted to tables of `columns`."""
    from sklearn.compose import ColumnTransformer
    from sklearn.frozen import FrozenEstimator

    frozen = [
        (name, t if isinstance(t, str) else FrozenEstimator(t), cols)
        for name, t, cols in transformers
    ]
    step = ColumnTransformer(
        frozen, remainder="passthrough", verbose_feature_names_out=False
    ).set_output(transform="pandas")
    return step.fit(pd.DataFrame({c: [0.0] for c in columns}))


def require_sklearn(trained: TrainedModel) -> None:
    """NotPortable when the model's learner is not scikit-learn's own (PCA-based anomaly
    detection is this package's class: a copy would not load without it, and skl2onnx has no
    converter for it)."""
    if type(learner_of(trained.estimator)).__module__.split(".")[0] != "sklearn":
        raise NotPortable(f"{trained.learner} is this package's estimator, not scikit-learn's")


def portable_model(trained: TrainedModel) -> Any:
    """A Pipeline: pick the feature columns by name, then the fitted estimator (untouched)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    require_sklearn(trained)
    features = ColumnTransformer(
        [("features", "passthrough", list(trained.features))], verbose_feature_names_out=False
    ).set_output(transform="pandas")
    features.fit(pd.DataFrame({c: [0.0] for c in trained.features}))
    return Pipeline([("features", features), ("model", trained.estimator)])


def portable_transform(fitted: Any, columns: Sequence[str]) -> Any:
    """A fitted ColumnTransformer for tables of `columns` (pandas output, the columns the
    transform does not touch passed through), or NotPortable."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    table = list(columns)
    if isinstance(fitted, ScaleTransform):
        scaled = list(fitted.center)
        scaler = StandardScaler()
        scaler.mean_ = np.array([fitted.center[c] for c in scaled], dtype="float64")
        scaler.scale_ = np.array([fitted.scale[c] for c in scaled], dtype="float64")
        scaler.var_ = scaler.scale_**2
        scaler.n_features_in_ = len(scaled)
        scaler.feature_names_in_ = np.array(scaled, dtype=object)
        scaler.n_samples_seen_ = 1
        return _pandas_columns([("scale", scaler, list(fitted.center))], table)
    if isinstance(fitted, CleanTransform):
        if fitted.strategy == "remove_columns":
            return _pandas_columns([("drop", "drop", list(fitted.columns))], table)
        if fitted.strategy == "remove_rows":
            if fitted.columns:
                raise NotPortable(
                    "Clean missing data removes rows, which a scikit-learn transformer cannot do"
                )
            return _pandas_columns([], table)
        fills = []
        for column, value in fitted.fills.items():
            imputer = SimpleImputer(strategy="constant", fill_value=value)
            imputer.fit(pd.DataFrame({column: [value]}))
            fills.append((f"fill_{column}", imputer, [column]))
        return _pandas_columns(fills, table)
    raise NotPortable(
        f"{type(fitted).__name__} names its columns column-category, which scikit-learn's "
        "encoders cannot reproduce"
    )


@dataclass
class OnnxModel:
    """A trained model as ONNX bytes, with how to feed it and how close it came to sklearn."""

    data: bytes
    features: list[str]
    float_type: str
    text_columns: list[str]  # empty: one (rows, features) input named X; else one per column
    max_difference: float  # the largest absolute difference from scikit-learn on the check
    checked_rows: int
    classes: list[Any] = field(default_factory=list)  # a classifier's with probabilities
    # an anomaly detector's offset_: its ONNX "label" is -1 for an anomaly (1: normal) and its
    # "scores" the decision function, so the Anomaly Score is -(scores + offset)
    anomaly_offset: float | None = None


SINGLE_INPUT = "X"


def onnx_feed(columns: Mapping[str, Any] | pd.DataFrame, model: OnnxModel) -> dict[str, np.ndarray]:
    """The session inputs for the feature columns (a table, or {name: array})."""
    if not model.text_columns:
        return {
            SINGLE_INPUT: np.column_stack(
                [np.asarray(columns[c], dtype=model.float_type) for c in model.features]
            )
        }
    feed = {}
    for column in model.features:
        values = np.asarray(columns[column])
        if column in model.text_columns:
            feed[column] = values.astype(str).astype(object).reshape(-1, 1)
        else:
            feed[column] = values.astype(model.float_type).reshape(-1, 1)
    return feed


class OnnxPredictor:
    """An onnxruntime session over an OnnxModel: labels and probabilities for a feature table."""

    def __init__(self, model: OnnxModel):
        self._open(model)

    def __getstate__(self) -> dict[str, Any]:
        return {"model": self.model}  # the session is rebuilt from the bytes

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._open(state["model"])

    def _open(self, model: OnnxModel) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.model = model
        self.session = onnxruntime.InferenceSession(
            model.data, options, providers=["CPUExecutionProvider"]
        )
        self.outputs = [o.name for o in self.session.get_outputs()]

    def predict(
        self, columns: Mapping[str, Any] | pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(labels or values, class probabilities or None) for the feature columns."""
        return self.run(onnx_feed(columns, self.model))

    def run(self, feed: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """The same from a ready feed (see onnx_feed)."""
        out = self.session.run(self.outputs, feed)
        labels = np.asarray(out[0]).reshape(-1)
        if self.model.anomaly_offset is not None:
            scores = np.asarray(out[1], dtype="float64").reshape(-1)
            return (labels == -1).astype("int64"), -(scores + self.model.anomaly_offset)
        if self.model.classes:
            return labels, np.asarray(out[1])
        return labels, None


def _differences(expected: np.ndarray, got: np.ndarray) -> tuple[float, float]:
    """(largest absolute difference, largest excess over the relative tolerance)."""
    expected = np.asarray(expected, dtype="float64")
    got = np.asarray(got, dtype="float64").reshape(expected.shape)
    difference = np.abs(got - expected)
    excess = difference - REL_TOLERANCE * np.abs(expected)
    return float(np.max(difference)), float(np.max(excess))


def to_onnx(trained: TrainedModel, rows: pd.DataFrame) -> OnnxModel:
    """Convert the model with skl2onnx; keep it only if it matches sklearn on `rows`.

    `rows` must hold the feature columns as the model saw them (at least one row). Raises
    NotPortable naming why: no converter, or the outputs differ beyond the tolerance.
    """
    if trained.task == "clustering":
        raise NotPortable("clustering models are not exported to ONNX")
    if rows.empty:
        raise NotPortable("no rows to check the ONNX conversion against")
    require_sklearn(trained)
    X = rows[trained.features]
    if any(pd.api.types.is_bool_dtype(X[c]) for c in X.columns):
        raise NotPortable("boolean feature columns are not converted to ONNX")
    text = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    labels, proba = predict(trained, X)
    learner = learner_of(trained.estimator)
    reasons = []
    for float_type in FLOAT_TYPES:
        try:
            model = _convert(trained, learner, X, text, float_type)
            got_labels, got_proba = OnnxPredictor(model).predict(X)
        except Exception as exc:  # skl2onnx and onnxruntime raise many kinds; all mean "no"
            reasons.append(f"{float_type}: {type(exc).__name__}: {_first_line(exc)}")
            continue
        if trained.task in ("classification", "anomaly_detection"):
            if not np.array_equal(got_labels, np.asarray(labels)):
                reasons.append(f"{float_type}: some labels differ from scikit-learn's")
                continue
            if proba is None:  # a classifier without probabilities: its labels alone
                model.max_difference = 0.0
                return model
            assert got_proba is not None
            largest, excess = _differences(proba, got_proba)
        else:
            largest, excess = _differences(labels, got_labels)
        if excess > ABS_TOLERANCE:
            reasons.append(f"{float_type}: outputs differ by up to {largest:.3g}, beyond tolerance")
            continue
        model.max_difference = largest
        return model
    raise NotPortable("; ".join(reasons))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""


def _tensor(float_type: str, width: int) -> Any:
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    return (FloatTensorType if float_type == "float32" else DoubleTensorType)([None, width])


def _convert(
    trained: TrainedModel, learner: Any, X: pd.DataFrame, text: list[str], float_type: str
) -> OnnxModel:
    from skl2onnx import to_onnx as skl2onnx_convert

    # one (rows, features) input, or one input per column typed from this one-row table
    sample: Any = (
        pd.DataFrame(
            {
                c: X[c].head(1).astype(str).astype(object)
                if c in text
                else X[c].head(1).astype(np.dtype(float_type))
                for c in X.columns
            }
        )
        if text
        else X.head(1).to_numpy(dtype=float_type)
    )
    options = {id(learner): {"zipmap": False}} if trained.task == "classification" else None
    ml_opset = 3 if float_type == "float32" else 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = skl2onnx_convert(
            trained.estimator,
            sample,
            options=options,
            target_opset={"": TARGET_OPSET, "ai.onnx.ml": ml_opset},
            initial_types=None if text else [(SINGLE_INPUT, _tensor(float_type, X.shape[1]))],
        )
    return OnnxModel(
        graph.SerializeToString(),
        list(trained.features),
        float_type,
        text,
        0.0,
        len(X),
        list(trained.classes) if has_probabilities(trained) else [],
        float(learner.offset_) if trained.task == "anomaly_detection" else None,
    )
