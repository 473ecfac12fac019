"""Extract N-gram features from text: text columns become weighted n-gram counts (scikit-learn)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import (
    RENAME_FIRST,
    categorical_columns,
    column_list,
    frame,
    require_columns,
    require_new_columns,
)
from designer.modules.fitted import TextTransform, ngram_columns

MAX_CELLS = 50_000_000  # rows by n-grams of the output: 400 MB of float64
WEIGHTINGS = {  # TfidfVectorizer's settings for each weighting
    "tf_idf": {"use_idf": True, "norm": "l2"},
    "tf": {"use_idf": False, "norm": "l1"},
    "counts": {"use_idf": False, "norm": None},
    "binary": {"use_idf": False, "norm": None, "binary": True},
}


def _vectorizer(ctx: StepContext) -> Any:
    """An unfitted TfidfVectorizer with the step's n-grams, weighting and vocabulary limits."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    stop_words = ctx.params.get("stop_words") or "none"
    return TfidfVectorizer(
        ngram_range=(1, int(ctx.params.get("ngrams") or 1)),
        max_features=int(ctx.params.get("vocabulary") or 1000),
        min_df=int(ctx.params.get("min_documents") or 1),
        lowercase=bool(ctx.params.get("lowercase", True)),
        stop_words=None if stop_words == "none" else stop_words,
        **WEIGHTINGS[str(ctx.params.get("weighting") or "tf_idf")],
    )


def text_features(ctx: StepContext) -> Mapping[str, Any]:
    """Fit a vocabulary of n-grams on each text column and weigh them per row."""
    df = frame(ctx, "dataset")
    chosen = require_columns(df, column_list(ctx.params.get("columns")), "columns")
    texts = set(categorical_columns(df)) - {c for c in df.columns if df[c].dtype == "bool"}
    numbers = [c for c in chosen if c not in texts]
    if numbers:
        raise StepError(
            f"columns: {', '.join(map(repr, numbers[:10]))} are not text", param="columns"
        )
    columns = chosen or [c for c in df.columns if c in texts]
    if not columns:
        raise StepError("columns: the table has no text column", param="columns")
    vectorizers: dict[str, Any] = {}
    rows = []
    for column in columns:
        vectorizer = _vectorizer(ctx)
        try:
            counts = vectorizer.fit_transform(df[column].fillna("").astype("str"))
        except ValueError as exc:  # an empty vocabulary: no words, or all stop words
            raise StepError(
                f"columns: {column!r} gives no n-grams ({exc})", param="columns"
            ) from None
        vectorizers[column] = vectorizer
        documents = np.asarray((counts > 0).sum(axis=0)).ravel()
        idf = getattr(vectorizer, "idf_", None)
        for i, ngram in enumerate(vectorizer.get_feature_names_out()):
            rows.append((column, ngram, int(documents[i]), None if idf is None else idf[i]))
    _check_size(df, columns, vectorizers)
    fitted = TextTransform(vectorizers, bool(ctx.params.get("keep_text", False)))
    vocabulary = pd.DataFrame(rows, columns=["Column", "N-gram", "Rows", "IDF"])
    vocabulary["IDF"] = vocabulary["IDF"].astype("float64")
    ctx.log(", ".join(f"{c}: {len(v.vocabulary_)} n-grams" for c, v in vectorizers.items()))
    return {"dataset": fitted.apply(df), "vocabulary": vocabulary, "transform": fitted}


def _check_size(df: pd.DataFrame, columns: list[str], vectorizers: dict[str, Any]) -> None:
    """Refuse an output too big to hold, and n-gram columns that exist already."""
    names = [n for c in columns for n in ngram_columns(c, vectorizers[c].get_feature_names_out())]
    cells = len(df) * len(names)
    if cells > MAX_CELLS:
        raise StepError(
            f"vocabulary: {len(df)} rows by {len(names)} n-grams is {cells:,} values, more than "
            f"{MAX_CELLS:,}; choose a smaller vocabulary or more min_documents",
            param="vocabulary",
        )
    require_new_columns(df, names, RENAME_FIRST)
