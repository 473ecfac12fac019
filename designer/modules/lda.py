"""Latent Dirichlet Allocation: a text column becomes each row's mix of topics (scikit-learn)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import RENAME_FIRST, frame, require_columns, require_new_columns
from designer.modules.fitted import TopicTransform, topic_columns

MAX_CELLS = 50_000_000  # rows by topics of the output, or topics by words of the model: 400 MB
TOP_WORDS = 10  # words listed per topic


def _vectorizer(ctx: StepContext) -> Any:
    """An unfitted CountVectorizer with the step's n-grams, stop words and vocabulary limits."""
    from sklearn.feature_extraction.text import CountVectorizer

    stop_words = str(ctx.params.get("stop_words") or "english")
    max_features = ctx.params.get("max_features", 1000)
    return CountVectorizer(
        ngram_range=(1, int(ctx.params.get("ngram_max") or 1)),
        max_features=None if max_features is None else int(max_features),
        min_df=int(ctx.params.get("min_df") or 1),
        max_df=float(ctx.params.get("max_df", 1.0)),  # a float: a share of the rows
        stop_words=None if stop_words == "none" else stop_words,
    )


def _lda(ctx: StepContext) -> Any:
    """An unfitted LatentDirichletAllocation with the step's topics, learning and seed."""
    from sklearn.decomposition import LatentDirichletAllocation

    seed = ctx.params.get("seed")
    return LatentDirichletAllocation(
        n_components=int(ctx.params.get("topics") or 5),
        learning_method=str(ctx.params.get("learning") or "batch"),
        max_iter=int(ctx.params.get("max_iter") or 10),
        random_state=None if seed is None else int(seed),
        n_jobs=1,
    )


def _text(ctx: StepContext, df: pd.DataFrame) -> pd.Series:
    """The chosen column's texts present, refused by name when there is none or it is not text."""
    column = str(ctx.params.get("column") or "")
    if not column:
        raise StepError("column: choose the text column to find topics in", param="column")
    require_columns(df, [column], "column")
    values = df[column]
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise StepError(f"column: {column!r} is not text ({values.dtype})", param="column")
    texts = values.dropna().astype("str")
    if texts.empty:
        raise StepError(f"column: {column!r} has no text (every value is missing)", param="column")
    return texts


def _counts(vectorizer: Any, texts: pd.Series) -> Any:
    """The texts' word counts, the vocabulary fitted; no word left is refused by name."""
    try:
        return vectorizer.fit_transform(texts)
    except ValueError as exc:
        if "empty vocabulary" in str(exc):  # no words, or only stop words
            besides = " besides stop words" if vectorizer.stop_words else ""
            raise StepError(
                f"column: {texts.name!r} has no words{besides} to find topics in",
                param="column",
            ) from None
        raise StepError(  # no word is in min_df rows or more and in max_df of them or fewer
            f"min_df: no word is in at least {vectorizer.min_df} and at most "
            f"{vectorizer.max_df:.0%} of the {len(texts)} rows with text; lower min_df or "
            "raise max_df",
            param="min_df",
        ) from None


def _check_size(rows: int, topics: int, words: int) -> None:
    """Refuse topic columns or a topic model too big to hold, before they are made."""
    if rows * topics > MAX_CELLS:
        raise StepError(
            f"topics: {rows} rows by {topics} topics is {rows * topics:,} values, more than "
            f"{MAX_CELLS:,}; choose fewer topics",
            param="topics",
        )
    if topics * words > MAX_CELLS:
        raise StepError(
            f"max_features: {topics} topics by {words} words is {topics * words:,} weights, "
            f"more than {MAX_CELLS:,}; choose a smaller vocabulary",
            param="max_features",
        )


def latent_dirichlet_allocation(ctx: StepContext) -> Mapping[str, Any]:
    """Fit topics on a text column's words and give each row its topic distribution."""
    df = frame(ctx, "dataset")
    texts = _text(ctx, df)
    vectorizer, lda = _vectorizer(ctx), _lda(ctx)
    names = topic_columns(str(texts.name), lda.n_components)
    require_new_columns(df, names, RENAME_FIRST)  # before the fit
    counts = _counts(vectorizer, texts)
    _check_size(len(df), lda.n_components, counts.shape[1])
    lda.fit(counts)
    fitted = TopicTransform(str(texts.name), vectorizer, lda)
    ctx.log(
        f"{texts.name}: {counts.shape[1]} words, {lda.n_components} topics, "
        f"{lda.n_iter_} passes over {len(texts)} rows with text"
    )
    topics = topic_table(lda.components_, vectorizer.get_feature_names_out())
    return {"dataset": fitted.apply(df), "topics": topics, "transform": fitted}


def topic_table(components: np.ndarray, words: np.ndarray) -> pd.DataFrame:
    """One row per topic: its number, its top words and their weights (each word's share of
    the topic; missing when the vocabulary has fewer words)."""
    weights = components / components.sum(axis=1, keepdims=True)
    order = np.argsort(-weights, axis=1, kind="stable")[:, :TOP_WORDS]
    top = np.full((len(weights), TOP_WORDS), np.nan)
    top[:, : order.shape[1]] = np.take_along_axis(weights, order, axis=1)
    table = pd.DataFrame(
        {
            "Topic": np.arange(1, len(weights) + 1, dtype="int64"),
            "Top words": [", ".join(row) for row in words[order]],
        }
    )
    names = [f"Weight {i}" for i in range(1, TOP_WORDS + 1)]
    return pd.concat([table, pd.DataFrame(top, columns=names)], axis=1)
