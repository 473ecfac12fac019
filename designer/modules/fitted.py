"""Fitted transforms that flow along Transform wires and replay on new data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepError
from designer.modules._frames import RENAME_FIRST, require_new_columns


def _check(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise StepError(
            f"dataset: the {what} was fitted on columns {', '.join(map(repr, missing))}, "
            "which this table does not have",
            port="dataset",
        )


class _Fitted:
    """What every fitted transform shares: a JSON-ready description for output summaries."""

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The fitted values (the engine shows these in the inspector)."""
        values: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        return values


@dataclass
class CleanTransform(_Fitted):
    """Replays Clean missing data: drop rows or columns, or fill with the fitted values."""

    strategy: str
    columns: list[str]
    fills: dict[str, Any] = field(default_factory=dict)

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """Clean `df` the way the training data was cleaned."""
        if self.strategy == "remove_columns":
            return df.drop(columns=[c for c in self.columns if c in df.columns])
        _check(df, self.columns, "cleaning")
        if self.strategy == "remove_rows":
            return df.dropna(subset=self.columns).reset_index(drop=True)
        out = df.copy(deep=False)  # copy-on-write copies a column on write
        for column, value in self.fills.items():
            out[column] = out[column].fillna(value)
        return out


@dataclass
class ScaleTransform(_Fitted):
    """Replays Normalize data: (x - center) / scale per column, with the fitted statistics."""

    method: str
    center: dict[str, float]
    scale: dict[str, float]

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """Rescale the fitted columns of `df`."""
        columns = list(self.center)
        _check(df, columns, "normalizer")
        out = df.copy(deep=False)  # copy-on-write copies a column on write
        for c in columns:
            out[c] = (out[c].astype("float64") - self.center[c]) / self.scale[c]
        return out


@dataclass
class OneHotTransform(_Fitted):
    """Replays Convert to indicator values with the categories seen at fitting time."""

    categories: dict[str, list[Any]]
    keep_original: bool = False

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """Replace each fitted column by one 0/1 column per fitted category."""
        _check(df, list(self.categories), "indicator conversion")
        parts: list[pd.Series | pd.DataFrame] = []
        for name in df.columns:
            column = df[name]
            if name not in self.categories:
                parts.append(column)
                continue
            if self.keep_original:
                parts.append(column)
            text = column.astype("object")
            indicators = {
                f"{name}-{cat}": (text == cat).astype("int64") for cat in self.categories[name]
            }
            parts.append(pd.DataFrame(indicators, index=df.index))
        return pd.concat(parts, axis=1)


@dataclass
class SelectionTransform(_Fitted):
    """Replays Filter based feature selection: drops the candidate columns that scored lowest."""

    method: str
    kept: list[str]
    dropped: list[str]

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """`df` without the dropped features (the kept ones must be there)."""
        _check(df, self.kept, "feature selection")
        return df.drop(columns=[c for c in self.dropped if c in df.columns])


@dataclass
class PcaTransform(_Fitted):
    """Replays Principal component analysis: the fitted columns become their components.

    As scikit-learn's StandardScaler then PCA compute it, operation for operation: each column
    less `center` over `scale` (0 and 1 when not standardized), then, with the rows as a matrix
    Z, `Z @ components.T - mean @ components.T`.
    """

    columns: list[str]
    center: list[float]
    scale: list[float]
    mean: list[float]
    components: list[list[float]]  # one row per component, one weight per column
    names: list[str]  # the components' columns: PC1, PC2, …

    def project(self, values: np.ndarray) -> np.ndarray:
        """The components of rows of the fitted columns (no missing value). Computed on a
        column-major copy, as a table's values are laid out: the same bits whatever the layout
        given (a real-time call's rows), and scikit-learn's on the same table."""
        weights = np.asarray(self.components, dtype="float64").T
        rows = np.asfortranarray(values, dtype="float64")
        scaled = (rows - np.asarray(self.center)) / np.asarray(self.scale)
        projected: np.ndarray = scaled @ weights
        projected -= np.asarray(self.mean).reshape(1, -1) @ weights
        return projected

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """`df` with the fitted columns replaced by the components, after the other columns."""
        projected = self.project(pca_rows(df, self.columns, self.names))
        components = pd.DataFrame(projected, columns=self.names, index=df.index)
        return pd.concat([df.drop(columns=self.columns), components], axis=1)


def pca_rows(df: pd.DataFrame, columns: list[str], names: list[str]) -> np.ndarray:
    """The rows of `columns` as a float64 matrix for principal components named `names`; a
    StepError for a missing column, a missing value, or a column kept that a component would
    overwrite."""
    _check(df, columns, "principal component analysis")
    clashing = [c for c in names if c in df.columns and c not in columns]
    if clashing:
        raise StepError(
            f"dataset: {', '.join(map(repr, clashing))} would be both a column kept and a "
            "component; rename it first (Edit metadata)",
            port="dataset",
        )
    values = df[columns].astype("float64")
    missing = [c for c in columns if values[c].isna().any()]
    if missing:
        raise StepError(
            f"dataset: {', '.join(map(repr, missing[:10]))} have missing values, which "
            "principal components cannot be computed from; clean them first (Clean missing data)",
            port="dataset",
        )
    return np.asfortranarray(values.to_numpy(), dtype="float64")  # as scikit-learn gets it


@dataclass
class BinTransform(_Fitted):
    """Replays Group data into bins: each fitted column's values numbered by the bin they fall
    in, as scikit-learn's KBinsDiscretizer numbers them (below the first edge: bin 0; above the
    last: the last bin; a missing value stays missing)."""

    edges: dict[str, list[float]]  # each column's edges, first and last included
    append: bool  # add a `<column>_bin` column; else replace the column

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """`df` with each fitted column's bin numbers."""
        _check(df, list(self.edges), "binning")
        text = [c for c in self.edges if not pd.api.types.is_numeric_dtype(df[c])]
        if text:
            raise StepError(
                f"dataset: {', '.join(map(repr, text[:10]))} are not numeric; the bins were "
                "fitted on numbers",
                port="dataset",
            )
        out = df.copy(deep=False)  # copy-on-write copies a column on write
        for column, edges in self.edges.items():
            out[bin_column(column) if self.append else column] = bin_numbers(df[column], edges)
        return out


def bin_column(column: str) -> str:
    """The column Group data into bins adds for `column` when it appends."""
    return f"{column}_bin"


def bin_indices(numbers: np.ndarray, edges: list[float]) -> np.ndarray:
    """Each number's bin among `edges`, as KBinsDiscretizer numbers it (int64; a NaN's is the
    last bin's + 1, masked by the caller)."""
    inner = np.asarray(edges[1:-1], dtype="float64")
    found: np.ndarray = np.searchsorted(inner, numbers, side="right").astype("int64")
    return found


def bin_numbers(values: pd.Series, edges: list[float]) -> pd.Series:
    """Each value's bin among `edges` (int64; Int64 with missing values where values miss)."""
    numbers = values.astype("float64").to_numpy()
    found = bin_indices(numbers, edges)
    missing = np.isnan(numbers)
    if missing.any():
        return pd.Series(pd.arrays.IntegerArray(found, missing), index=values.index)
    return pd.Series(found, index=values.index)


@dataclass
class TextTransform(_Fitted):
    """Replays Extract N-gram features from text: each fitted text column becomes one number
    per n-gram of its vocabulary, weighted as when fitted (scikit-learn's vectorizers)."""

    vectorizers: dict[str, Any]  # text column -> its fitted TfidfVectorizer
    keep_text: bool

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """Each column's vocabulary size (the vocabularies themselves are the `vocabulary`
        output's)."""
        sizes = {c: len(v.vocabulary_) for c, v in self.vectorizers.items()}
        return {"vocabulary": sizes, "keep_text": self.keep_text}

    def ngrams(self, column: str, texts: Any) -> tuple[list[str], np.ndarray]:
        """The names and values of a fitted column's n-gram columns for `texts` (a missing text
        has none)."""
        vectorizer = self.vectorizers[column]
        values = vectorizer.transform(pd.Series(texts).fillna("").astype("str")).toarray()
        return ngram_columns(column, vectorizer.get_feature_names_out()), values

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """`df` with the n-gram columns of each fitted text column."""
        _check(df, list(self.vectorizers), "n-gram extraction")
        parts = [df if self.keep_text else df.drop(columns=list(self.vectorizers))]
        for column in self.vectorizers:
            names, values = self.ngrams(column, df[column])
            parts.append(pd.DataFrame(values, columns=names, index=df.index))
        return pd.concat(parts, axis=1)


def ngram_columns(column: str, ngrams: Any) -> list[str]:
    """The columns Extract N-gram features names for `column`'s n-grams: `column[ngram]`."""
    return [f"{column}[{ngram}]" for ngram in ngrams]


@dataclass
class TopicTransform(_Fitted):
    """Replays Latent Dirichlet Allocation: each row's text becomes its distribution over the
    fitted topics (scikit-learn's CountVectorizer, then LatentDirichletAllocation)."""

    column: str
    vectorizer: Any  # the fitted CountVectorizer
    lda: Any  # the fitted LatentDirichletAllocation

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The text column, the topics and the vocabulary's size (its words are the `topics`
        output's)."""
        return {
            "column": self.column,
            "topics": int(self.lda.n_components),
            "vocabulary": len(self.vectorizer.vocabulary_),
        }

    @property
    def names(self) -> list[str]:
        """The topic columns: `<column>_topic_1`, `<column>_topic_2`, …"""
        return topic_columns(self.column, int(self.lda.n_components))

    def distributions(self, texts: Any) -> np.ndarray:
        """Each text's topic distribution, a row summing to 1, as `lda.transform` gives it (a
        missing text's row is missing values)."""
        series = pd.Series(texts)
        present = series.notna().to_numpy()
        values = np.full((len(series), len(self.names)), np.nan)
        if present.any():
            counts = self.vectorizer.transform(series[present].astype("str"))
            values[present] = self.lda.transform(counts)
        return values

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """`df` with the topic columns appended."""
        _check(df, [self.column], "topic model")
        require_new_columns(df, self.names, RENAME_FIRST)
        values = self.distributions(df[self.column])
        return pd.concat([df, pd.DataFrame(values, columns=self.names, index=df.index)], axis=1)


def topic_columns(column: str, topics: int) -> list[str]:
    """The columns Latent Dirichlet Allocation appends for `column`: `<column>_topic_<k>`."""
    return [f"{column}_topic_{k}" for k in range(1, topics + 1)]


@dataclass
class ClipTransform(_Fitted):
    """Replays Clip values: each fitted column's values beyond its bounds set to the bound, or
    made missing."""

    bounds: dict[str, tuple[float | None, float | None]]  # column -> (lower, upper); None: open
    to_missing: bool  # values beyond a bound become missing instead of the bound

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """`df` with each fitted column clipped (as float64)."""
        _check(df, list(self.bounds), "clipping")
        out = df.copy(deep=False)  # copy-on-write copies a column on write
        for column in self.bounds:
            out[column] = pd.Series(self.clip(column, df[column].to_numpy()), index=df.index)
        return out

    def clip(self, column: str, values: np.ndarray) -> np.ndarray:
        """A column's values clipped to its bounds (float64; missing stays missing)."""
        numbers = np.asarray(values, dtype="float64")
        lower, upper = self.bounds[column]
        low = -np.inf if lower is None else lower
        high = np.inf if upper is None else upper
        if self.to_missing:
            return np.where((numbers < low) | (numbers > high), np.nan, numbers)
        clipped: np.ndarray = np.clip(numbers, low, high)
        return clipped
