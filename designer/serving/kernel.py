"""The fused fast path of a scorer: request columns → replays of fitted transforms → one trained
model (scikit-learn or ONNX) → the scored columns, on plain arrays.

A graph qualifies when the rows go from the Web service input through Select columns and Apply
transformation (a frozen normalizer, missing-value fill, clip, principal component projection,
bins, indicator values, a feature selection, n-grams or topics), Apply math operation,
Preprocess text and Feature hashing to Score model, then through Select columns to the Web
service output. The replays do the same operations as the fitted transforms' own `apply` (and
the stateless steps' modules), so with scikit-learn the outputs are bit-identical to the graph
path; `scorer.build_scorer` checks that on the training rows before it uses a kernel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

import numpy as np
import pandas as pd

from designer.modules.fitted import (
    BinTransform,
    CleanTransform,
    ClipTransform,
    OneHotTransform,
    PcaTransform,
    ScaleTransform,
    SelectionTransform,
    TextTransform,
    TopicTransform,
    bin_column,
    bin_indices,
)
from designer.modules.hashing import Hashing
from designer.modules.math_ops import MathOperation
from designer.modules.models import TrainedModel
from designer.modules.portable import OnnxPredictor
from designer.modules.text_cleaning import TextPreprocessing
from designer.modules.training import accepts_missing, predict, scored_columns

Columns = dict[str, np.ndarray]
Replayable = (
    ScaleTransform
    | CleanTransform
    | ClipTransform
    | PcaTransform
    | BinTransform
    | OneHotTransform
    | SelectionTransform
    | TextTransform
    | TopicTransform
    | MathOperation
    | TextPreprocessing
    | Hashing
)
# steps fitted on nothing, resolved against the training rows when the kernel is built
STATELESS = (MathOperation, TextPreprocessing, Hashing)


class NotFusable(Exception):
    """The graph (or one of its steps) has no kernel form; the message says which and why."""


@dataclass
class Keep:
    """Select columns, resolved to the columns it keeps (in order)."""

    columns: list[str]

    def apply(self, columns: Columns) -> Columns:
        return {c: columns[c] for c in self.columns}


@dataclass
class Replay:
    """A fitted Scale, Clean, Clip, Bin, indicator, selection, Text or Topic transform replayed
    column by column, a principal component projection, or a stateless step (a math operation,
    text preprocessing, feature hashing)."""

    fitted: Replayable

    @classmethod
    def of(cls, fitted: Any) -> Replay:
        per_table = (
            isinstance(fitted, CleanTransform)
            and fitted.strategy == "remove_rows"
            and bool(fitted.columns)
        ) or (isinstance(fitted, ClipTransform) and fitted.to_missing)
        if per_table or not isinstance(fitted, get_args(Replayable)):
            raise NotFusable(
                f"a {type(fitted).__name__} ({_strategy(fitted)}) is replayed per table"
            )
        return cls(fitted)

    def apply(self, columns: Columns) -> Columns | None:
        """The columns after the transform; None when rows hold missing values it cannot take
        (a projection: the graph path then gives the step's own error) or keeps missing (bins:
        the graph path's nullable numbers; topics of missing text); None too for values outside
        a math operation's domain (the graph path names them)."""
        out = dict(columns)
        fitted = self.fitted
        if isinstance(fitted, ClipTransform):
            for c in fitted.bounds:
                out[c] = fitted.clip(c, out[c])
        elif isinstance(fitted, TopicTransform):
            values = fitted.distributions(out[fitted.column])
            if np.isnan(values).any():
                return None
            out.update({name: values[:, i] for i, name in enumerate(fitted.names)})
        elif isinstance(fitted, STATELESS):
            return fitted.replay(out)
        elif isinstance(fitted, OneHotTransform):
            for c, categories in fitted.categories.items():
                text = (out[c] if fitted.keep_original else out.pop(c)).astype(object)
                out.update({f"{c}-{cat}": (text == cat).astype("int64") for cat in categories})
        elif isinstance(fitted, SelectionTransform):
            for c in fitted.dropped:
                out.pop(c, None)
        elif isinstance(fitted, TextTransform):
            for c in fitted.vectorizers:
                names, values = fitted.ngrams(c, out[c])
                if not fitted.keep_text:
                    del out[c]
                out.update({name: values[:, i] for i, name in enumerate(names)})
        elif isinstance(fitted, BinTransform):
            for c, edges in fitted.edges.items():
                numbers = out[c].astype("float64")
                if np.isnan(numbers).any():
                    return None
                out[bin_column(c) if fitted.append else c] = bin_indices(numbers, edges)
        elif isinstance(fitted, PcaTransform):
            rows = np.column_stack([out.pop(c).astype("float64") for c in fitted.columns])
            if np.isnan(rows).any():
                return None
            projected = fitted.project(rows)
            out.update({name: projected[:, i] for i, name in enumerate(fitted.names)})
        elif isinstance(fitted, ScaleTransform):
            for c in fitted.center:
                out[c] = (out[c].astype("float64") - fitted.center[c]) / fitted.scale[c]
        elif fitted.strategy == "remove_columns":
            for c in fitted.columns:
                out.pop(c, None)
        elif fitted.strategy != "remove_rows":
            for c, value in fitted.fills.items():
                out[c] = _filled(out[c], value)
        return out


def _strategy(fitted: Any) -> str:
    return str(getattr(fitted, "strategy", getattr(fitted, "method", "")))


def _filled(values: np.ndarray, value: Any) -> np.ndarray:
    missing = pd.isna(values)
    if not missing.any():
        return values
    filled = values.copy() if values.dtype.kind == "f" else values.astype(object)
    filled[missing] = value
    return filled


def _has_missing(values: np.ndarray) -> bool:
    if values.dtype.kind == "f":
        return bool(np.isnan(values).any())
    return values.dtype.kind == "O" and bool(pd.isna(values).any())


def as_arrays(columns: Mapping[str, list[Any]], dtypes: Mapping[str, str]) -> Columns:
    """Validated request columns as arrays: numbers as float64/int64 like the graph path."""
    arrays: Columns = {}
    for name, values in columns.items():
        dtype = dtypes.get(name, "object")
        if dtype.startswith(("int", "uint")):
            arrays[name] = np.asarray(values, dtype="int64")
        elif dtype.startswith("float"):
            arrays[name] = np.asarray([np.nan if v is None else v for v in values], dtype=dtype)
        elif dtype == "bool":
            arrays[name] = np.asarray(values, dtype="bool")
        else:
            arrays[name] = np.asarray(values, dtype=object)
    return arrays


@dataclass
class Kernel:
    """Before (Keep/Replay steps) → the model → scored columns → `response` columns."""

    before: list[Keep | Replay]
    trained: TrainedModel
    response: list[str]
    nullable: frozenset[str] = frozenset()  # request columns that may hold missing values
    onnx: OnnxPredictor | None = None
    takes_missing: bool = field(init=False)

    def __post_init__(self) -> None:
        self.takes_missing = accepts_missing(self.trained)

    @property
    def runtime(self) -> str:
        return "onnx" if self.onnx is not None else "sklearn"

    @property
    def replayed(self) -> list[Replay]:
        """The fitted transforms replayed before the model (none: rows reach it unchanged)."""
        return [step for step in self.before if isinstance(step, Replay)]

    def features(self, columns: Columns) -> Columns | None:
        """The model's feature columns after the replays; None when the rows hold missing
        values the model cannot take (the graph path then gives the step's own error)."""
        for step in self.before:
            replayed = step.apply(columns)
            if replayed is None:
                return None
            columns = replayed
        try:
            features = {f: columns[f] for f in self.trained.features}
        except KeyError:
            return None
        # only nullable request columns can bring a missing value this far (the schema check
        # refused them elsewhere, and the replays make none)
        if not self.takes_missing and any(
            _has_missing(features[c]) for c in self.nullable if c in features
        ):
            return None
        return features

    def score(self, columns: Columns) -> dict[str, np.ndarray] | None:
        """The response columns for the request columns, or None (see `features`)."""
        features = self.features(columns)
        if features is None:
            return None
        if self.onnx is not None:
            labels, proba = self.onnx.predict(features)
        else:
            labels, proba = predict(self.trained, pd.DataFrame(features, copy=False))
        scored = scored_columns(self.trained, labels, proba)
        return {c: np.asarray(scored[c]) for c in self.response}
