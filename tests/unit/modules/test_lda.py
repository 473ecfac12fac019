"""Latent Dirichlet Allocation: scikit-learn's topics, the topics table, replayed on new text."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import LatentDirichletAllocation
from sklearn.feature_extraction.text import CountVectorizer

from designer.engine.context import StepError

REF = "transform.lda@1"
REVIEWS = pd.DataFrame(
    {
        "review": [
            "A good movie with a really good plot and good acting",
            "Bad acting and a bad plot, a boring movie",
            "The pizza was cold and the pasta was bland",
            None,
            "Great pizza, fresh pasta and friendly waiters",
            "The plot twists made the movie worth watching",
            "Slow waiters, cold pizza, we left hungry",
            "Good food and a great dessert, the waiters were kind",
            "An actor with great timing saves a weak plot",
        ],
        "stars": [5, 1, 2, 3, 5, 4, 1, 5, 3],
    }
)
TEXT = REVIEWS["review"].dropna()


def reference(texts: pd.Series, **settings: Any) -> tuple[Any, Any, np.ndarray]:
    """scikit-learn's own pipeline: the vectorizer, the topic model and the texts' topics."""
    stop_words = settings.pop("stop_words", "english")
    vectorizer = CountVectorizer(
        stop_words=None if stop_words == "none" else stop_words,
        max_features=settings.pop("max_features", 1000),
        ngram_range=(1, settings.pop("ngram_max", 1)),
        min_df=settings.pop("min_df", 1),
        max_df=settings.pop("max_df", 1.0),
    )
    lda = LatentDirichletAllocation(
        n_components=settings.pop("topics", 5),
        learning_method=settings.pop("learning", "batch"),
        max_iter=settings.pop("max_iter", 10),
        random_state=settings.pop("seed", 0),
        n_jobs=1,
    )
    assert not settings, settings
    topics = lda.fit_transform(vectorizer.fit_transform(texts))
    return vectorizer, lda, topics


def topic_names(count: int) -> list[str]:
    return [f"review_topic_{k}" for k in range(1, count + 1)]


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"topics": 3, "ngram_max": 2, "stop_words": "none", "max_iter": 20, "seed": 7},
        {"topics": 4, "learning": "online", "max_features": None, "min_df": 2, "max_df": 0.5},
    ],
)
def test_each_rows_topics_are_scikit_learns_to_the_bit(run, settings) -> None:
    out = run(REF, {"column": "review", **settings}, dataset=REVIEWS)
    vectorizer, lda, expected = reference(TEXT, **settings)
    names = topic_names(lda.n_components)
    table = out["dataset"]
    assert list(table.columns) == ["review", "stars", *names]  # appended, the text kept
    present = REVIEWS["review"].notna()
    np.testing.assert_array_equal(table.loc[present, names].to_numpy(), expected)
    assert table.loc[~present, names].isna().all(axis=None)  # missing text: missing topics
    np.testing.assert_allclose(table.loc[present, names].sum(axis=1), 1.0)
    assert out["transform"].vectorizer.vocabulary_ == vectorizer.vocabulary_


def test_the_topics_table_lists_each_topics_top_words_and_their_weights(run) -> None:
    out = run(REF, {"column": "review", "topics": 3}, dataset=REVIEWS)
    vectorizer, lda, _ = reference(TEXT, topics=3)
    words = vectorizer.get_feature_names_out()
    topics = out["topics"]
    assert topics["Topic"].tolist() == [1, 2, 3]
    for row, weights in zip(topics.itertuples(index=False), lda.components_, strict=True):
        shares = weights / weights.sum()
        order = np.argsort(-shares, kind="stable")[:10]
        assert row[1] == ", ".join(words[order])
        assert list(row[2:]) == shares[order].tolist()


def test_a_vocabulary_under_ten_words_leaves_the_other_weights_missing(run) -> None:
    few = pd.DataFrame({"t": ["red apple", "green apple", "red pepper"]})
    topics = run(REF, {"column": "t", "topics": 2}, dataset=few)["topics"]
    assert topics["Top words"].str.split(", ").map(len).tolist() == [4, 4]
    assert topics[[f"Weight {i}" for i in range(5, 11)]].isna().all(axis=None)
    assert topics[[f"Weight {i}" for i in range(1, 5)]].notna().all(axis=None)


def test_more_topics_than_rows_is_allowed(run) -> None:
    few = pd.DataFrame({"t": ["red apple", "green apple", "red pepper"]})
    table = run(REF, {"column": "t", "topics": 5}, dataset=few)["dataset"]
    np.testing.assert_allclose(table.drop(columns="t").sum(axis=1), 1.0)


def test_apply_transformation_gives_new_rows_the_fitted_topics(run) -> None:
    out = run(REF, {"column": "review", "topics": 3}, dataset=REVIEWS)
    new = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "review": ["good pizza, good plot", None, "unseen words only", ""],
        }
    )
    replayed = run("transform.apply_transform@1", transform=out["transform"], dataset=new)
    table = replayed["dataset"]
    names = topic_names(3)
    assert list(table.columns) == ["id", "review", *names]
    vectorizer, lda, _ = reference(TEXT, topics=3)
    present = new["review"].notna()
    expected = lda.transform(vectorizer.transform(new.loc[present, "review"]))
    np.testing.assert_array_equal(table.loc[present, names].to_numpy(), expected)
    assert table.loc[~present, names].isna().all(axis=None)
    np.testing.assert_allclose(table.loc[3, names], 1 / 3)  # no known word: LDA's even prior
    empty = run("transform.apply_transform@1", transform=out["transform"], dataset=new[:0])
    assert list(empty["dataset"].columns) == ["id", "review", *names]


@pytest.mark.parametrize(
    ("params", "table", "message"),
    [
        ({"column": ""}, REVIEWS, "column: choose the text column"),
        ({"column": "title"}, REVIEWS, "column: column 'title' not found"),
        ({"column": "stars"}, REVIEWS, "column: 'stars' is not text \\(int64\\)"),
        ({}, REVIEWS.assign(review=None), "column: 'review' has no text"),
        ({}, pd.DataFrame({"review": ["the and of", "a"]}), "column: 'review' has no words"),
        ({"min_df": 20}, REVIEWS, "min_df: no word is in at least 20 and at most 100% of the 8"),
        ({"max_df": 0.1}, REVIEWS, "min_df: no word is in at least 1 and at most 10%"),
        ({}, REVIEWS.assign(review_topic_2=1), "dataset: 'review_topic_2' already exist"),
    ],
)
def test_what_cannot_be_modelled_is_named(run, params, table, message) -> None:
    with pytest.raises(StepError, match=message):
        run(REF, {"column": "review", **params}, dataset=table)


def test_a_model_too_big_to_hold_is_refused_before_it_is_fitted(run, monkeypatch) -> None:
    from designer.modules import lda

    monkeypatch.setattr(lda, "MAX_CELLS", 40)
    with pytest.raises(StepError, match="topics: 9 rows by 5 topics is 45 values"):
        run(REF, {"column": "review"}, dataset=REVIEWS)
    with pytest.raises(StepError, match=r"max_features: 2 topics by [0-9]+ words is"):
        run(REF, {"column": "review", "topics": 2}, dataset=REVIEWS)
