"""Extract N-gram features from text: TfidfVectorizer's numbers, the vocabulary, replayed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from designer.engine.context import StepError
from designer.modules import schemas

REF = "transform.text_features@1"
REVIEWS = pd.DataFrame(
    {
        "review": [
            "A good movie, a really good plot",
            "Bad acting and a bad plot",
            "Good acting",
            None,
            "The plot was good but the acting was bad",
        ],
        "stars": [5, 1, 4, 3, 3],
    }
)


def test_tf_idf_of_words_and_pairs_as_scikit_learn_weighs_them(run) -> None:
    out = run(REF, {"ngrams": 2, "stop_words": "english"}, dataset=REVIEWS)
    reference = TfidfVectorizer(ngram_range=(1, 2), stop_words="english", max_features=1000)
    expected = reference.fit_transform(REVIEWS["review"].fillna("")).toarray()
    names = [f"review[{n}]" for n in reference.get_feature_names_out()]
    table = out["dataset"]
    assert list(table.columns) == ["stars", *names]  # the text dropped, the rest kept
    assert np.array_equal(table[names].to_numpy(), expected)
    assert (table.loc[3, names] == 0).all()  # missing text has no n-grams
    vocabulary = out["vocabulary"]
    assert vocabulary["N-gram"].tolist() == list(reference.get_feature_names_out())
    assert vocabulary["IDF"].tolist() == reference.idf_.tolist()
    good = vocabulary.set_index("N-gram").loc["good", "Rows"]
    assert good == 3
    known = schemas.infer("transform.text_features", {}, {}, lambda name, version: None)
    made = [{"name": str(c), "dtype": str(t)} for c, t in vocabulary.dtypes.items()]
    assert known == {"vocabulary": made, "dataset": None}  # the editor's columns before a run


def test_the_vocabulary_is_replayed_on_new_text(run) -> None:
    params = {"weighting": "counts", "keep_text": True, "vocabulary": 4}
    out = run(REF, params, dataset=REVIEWS)
    names = [c for c in out["dataset"].columns if c.startswith("review[")]
    assert len(names) == 4 and "review" in out["dataset"].columns
    new = pd.DataFrame({"review": ["good good plot, unseen words", None], "stars": [1, 2]})
    replayed = run("transform.apply_transform@1", transform=out["transform"], dataset=new)
    counts = replayed["dataset"][names]
    expected = {"review[good]": 2, "review[plot]": 1}
    assert counts.iloc[0].to_dict() == {n: expected.get(n, 0) for n in names}
    assert (counts.iloc[1] == 0).all()


@pytest.mark.parametrize("weighting", ["tf", "binary"])
def test_each_weighting_is_the_vectorizers(run, weighting) -> None:
    out = run(REF, {"weighting": weighting}, dataset=REVIEWS)
    settings = {"tf": {"use_idf": False, "norm": "l1"}}.get(
        weighting, {"use_idf": False, "norm": None, "binary": True}
    )
    expected = TfidfVectorizer(**settings).fit_transform(REVIEWS["review"].fillna("")).toarray()
    got = out["dataset"].drop(columns="stars").to_numpy()
    assert np.array_equal(got, expected)
    assert out["vocabulary"]["IDF"].isna().all()


@pytest.mark.parametrize(
    ("params", "table", "message"),
    [
        ({"columns": ["stars"]}, REVIEWS, "columns: 'stars' are not text"),
        ({}, REVIEWS[["stars"]], "columns: the table has no text column"),
        ({"stop_words": "english"}, pd.DataFrame({"t": ["the and of", "a"]}), "gives no n-grams"),
        ({}, REVIEWS.assign(**{"review[good]": 1}), "'review\\[good\\]' already exist"),
    ],
)
def test_what_cannot_be_vectorized_is_named(run, params, table, message) -> None:
    with pytest.raises(StepError, match=message):
        run(REF, params, dataset=table)


def test_an_output_too_big_to_hold_is_refused_before_it_is_made(run, monkeypatch) -> None:
    from designer.modules import text

    monkeypatch.setattr(text, "MAX_CELLS", 20)
    with pytest.raises(StepError, match=r"vocabulary: 5 rows by 1[0-9] n-grams is"):
        run(REF, {}, dataset=REVIEWS)
