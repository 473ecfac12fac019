"""Feature hashing: HashingVectorizer's numbers, row by row, and its refusals by name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import HashingVectorizer

from designer.engine.context import StepError

REF = "transform.feature_hashing@1"
REVIEWS = pd.DataFrame(
    {
        "review": [
            "A good movie, a really good plot",
            "Bad acting and a bad plot",
            None,
            "The plot was good but the acting was bad",
        ],
        "stars": [5, 1, 3, 3],
        "title": ["Up", "Down", "Up", None],
    }
)


def hashes(column: str, bits: int) -> list[str]:
    return [f"{column}_hash_{i}" for i in range(2**bits)]


def test_counts_of_words_and_pairs_as_scikit_learn_hashes_them(run) -> None:
    params = {"columns": ["review", "title"], "bits": 4, "ngram_max": 2}
    table = run(REF, params, dataset=REVIEWS)["dataset"]
    assert list(table.columns) == ["stars", *hashes("review", 4), *hashes("title", 4)]
    reference = HashingVectorizer(
        n_features=16, ngram_range=(1, 2), alternate_sign=False, norm=None
    )
    for column in ("review", "title"):
        expected = reference.transform(REVIEWS[column].fillna("")).toarray()
        assert np.array_equal(table[hashes(column, 4)].to_numpy(), expected)
    assert (table.loc[2, hashes("review", 4)] == 0).all()  # missing text has no n-grams
    words_and_pairs = (5 + 4) + (5 + 4) + (9 + 8)  # words of two letters or more, and pairs
    assert table[hashes("review", 4)].to_numpy().sum() == words_and_pairs  # counts: no sign


@pytest.mark.parametrize(
    "settings",
    [
        {"norm": "l1"},
        {"norm": "l2", "alternate_sign": True},
        {"ngram_min": 2, "ngram_max": 3},
    ],
)
def test_each_setting_is_the_vectorizers(run, settings) -> None:
    params = {"columns": ["review"], "bits": 6, "keep_text": True, **settings}
    table = run(REF, params, dataset=REVIEWS)["dataset"]
    assert list(table.columns)[:3] == list(REVIEWS.columns)
    ngrams = (settings.get("ngram_min", 1), settings.get("ngram_max", 1))
    reference = HashingVectorizer(
        n_features=64,
        ngram_range=ngrams,
        alternate_sign=settings.get("alternate_sign", False),
        norm=settings.get("norm"),
    )
    expected = reference.transform(REVIEWS["review"].fillna("")).toarray()
    assert np.array_equal(table[hashes("review", 6)].to_numpy(), expected)


def test_a_row_hashes_the_same_alone_as_in_its_table(run) -> None:
    params = {"columns": ["review"], "bits": 8}
    whole = run(REF, params, dataset=REVIEWS)["dataset"]
    alone = run(REF, params, dataset=REVIEWS.iloc[[3]])["dataset"]
    assert alone.reset_index(drop=True).equals(whole.iloc[[3]].reset_index(drop=True))


@pytest.mark.parametrize(
    ("params", "where", "message"),
    [
        ({}, "columns", "columns: choose at least one text column"),
        ({"columns": ["stars"]}, "columns", "columns: not text: 'stars' (int64)"),
        ({"columns": ["review"], "ngram_min": 3, "ngram_max": 2}, "ngram_max", "ngram_max: "),
        ({"columns": ["review"], "bits": 3}, "dataset", "dataset: 'review_hash_1' already exist"),
        (
            {"columns": ["review", "title"], "bits": 20},
            "bits",
            "bits: 4 rows by 2 text columns of 1,048,576 hashes is 8,388,608 values",
        ),
    ],
)
def test_what_cannot_be_hashed_is_named(run, monkeypatch, params, where, message) -> None:
    from designer.modules import hashing

    monkeypatch.setattr(hashing, "MAX_CELLS", 5_000_000)
    with pytest.raises(StepError) as refused:
        run(REF, params, dataset=REVIEWS.assign(review_hash_1=0.0))
    assert str(refused.value).startswith(message)
    assert where in (refused.value.param, refused.value.port)
