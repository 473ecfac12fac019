"""Feature hashing: text columns become 2**bits hashed n-gram columns (HashingVectorizer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
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


@dataclass(frozen=True)
class Hashing:
    """Feature hashing resolved for a table: the vectorizer, the chosen columns and their hash
    columns, and whether the text is kept."""

    vectorizer: Any
    names: dict[str, list[str]]  # each chosen column's `<column>_hash_<i>` columns
    keep_text: bool

    def hashed(self, texts: pd.Series) -> np.ndarray:
        """A text column's hash counts: one row per text, one column per hash."""
        matrix: np.ndarray = self.vectorizer.transform(_documents(texts)).toarray()
        return matrix

    def replay(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The hashing on a real-time call's arrays, as the step does it on a table."""
        out = {c: v for c, v in columns.items() if self.keep_text or c not in self.names}
        for column, names in self.names.items():
            matrix = self.hashed(pd.Series(columns[column], dtype=object))
            out.update({name: matrix[:, i] for i, name in enumerate(names)})
        return out


def resolve(params: Mapping[str, Any], df: pd.DataFrame) -> Hashing:
    """The vectorizer and the columns the step's params choose in `df`, refused by name."""
    columns = chosen_text_columns(params, df)
    vectorizer = _vectorizer(params)
    _check_size(len(df), len(columns), vectorizer.n_features)
    names = {c: [f"{c}_hash_{i}" for i in range(vectorizer.n_features)] for c in columns}
    keep_text = bool(params.get("keep_text", False))
    kept = df if keep_text else df.drop(columns=columns)
    require_new_columns(kept, [n for c in columns for n in names[c]], RENAME_FIRST)
    return Hashing(vectorizer, names, keep_text)


def feature_hashing(ctx: StepContext) -> Mapping[str, Any]:
    """Hash the n-grams of each chosen text column into `<column>_hash_<i>` columns."""
    df = frame(ctx, "dataset")  # HashingVectorizer takes no empty input
    hashing = resolve(ctx.params, df)
    kept = df if hashing.keep_text else df.drop(columns=list(hashing.names))
    hashed = [
        pd.DataFrame(hashing.hashed(df[c]), df.index, names) for c, names in hashing.names.items()
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
