"""Feature hashing: text columns become 2**bits hashed n-gram columns (HashingVectorizer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from designer.engine.context import StepContext, StepError
from designer.modules._frames import RENAME_FIRST, frame, require_new_columns
from designer.modules.text_columns import chosen_text_columns

MAX_CELLS = 50_000_000  # rows by hash columns of the output: 400 MB of float64 (as text.py)


def _vectorizer(params: Mapping[str, Any]) -> Any:
    """scikit-learn's HashingVectorizer with the step's bits, n-grams, sign and norm."""
    from sklearn.feature_extraction.text import HashingVectorizer

    shortest, longest = int(params.get("ngram_min") or 1), int(params.get("ngram_max") or 1)
    if longest < shortest:
        raise StepError(
            f"ngram_max: the longest n-gram ({longest}) is shorter than the shortest "
            f"({shortest}, ngram_min)",
            param="ngram_max",
        )
    norm = str(params.get("norm") or "none")
    return HashingVectorizer(
        n_features=2 ** int(params.get("bits") or 10),
        ngram_range=(shortest, longest),
        alternate_sign=bool(params.get("alternate_sign", False)),
        norm=None if norm == "none" else norm,
    )


def feature_hashing(ctx: StepContext) -> Mapping[str, Any]:
    """Hash the n-grams of each chosen text column into `<column>_hash_<i>` columns."""
    df = frame(ctx, "dataset")  # HashingVectorizer takes no empty input
    columns = chosen_text_columns(ctx, df)
    vectorizer = _vectorizer(ctx.params)
    _check_size(len(df), len(columns), vectorizer.n_features)
    names = {c: [f"{c}_hash_{i}" for i in range(vectorizer.n_features)] for c in columns}
    kept = df if ctx.params.get("keep_text", False) else df.drop(columns=columns)
    require_new_columns(kept, [n for c in columns for n in names[c]], RENAME_FIRST)
    hashed = [
        pd.DataFrame(vectorizer.transform(_documents(df[c])).toarray(), df.index, names[c])
        for c in columns
    ]
    return {"dataset": pd.concat([kept, *hashed], axis=1)}


def _check_size(rows: int, columns: int, width: int) -> None:
    """Refuse an output too big to hold, before it is made."""
    cells = rows * columns * width
    if cells > MAX_CELLS:
        raise StepError(
            f"bits: {rows} rows by {columns} text columns of {width:,} hashes is {cells:,} "
            f"values, more than {MAX_CELLS:,}; choose fewer bits",
            param="bits",
        )


def _documents(texts: pd.Series) -> pd.Series:
    """A text column as the vectorizer reads it: missing text is empty (it has no n-grams)."""
    return texts.astype("str").fillna("")
