"""Recommendation: an SVD recommender trained, scored and evaluated as scikit-surprise does."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import ndcg_score
from surprise import SVD, Dataset, Reader, accuracy

from designer.engine.artifacts import encode
from designer.engine.context import StepError
from designer.engine.types import PortType
from designer.engine.validate import validate_document
from designer.modules.data import DATA_DIR, load_sample
from tests.support.graphs import graph, node
from tests.unit.modules.harness import REGISTRY, stored
from tests.unit.modules.test_schemas import columns_of, names

TRAIN = "ml.train_svd_recommender@1"
SCORE = "ml.score_svd_recommender@1"
EVALUATE = "ml.evaluate_recommender@1"
PARAMS = {"factors": 20, "epochs": 30, "seed": 4}
TRIPLE = ["user_id", "restaurant", "rating"]


@pytest.fixture(scope="module")
def ratings() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The restaurant ratings split four to one, as read back from the store."""
    df = load_sample("restaurant_ratings")
    test = df.sample(frac=0.2, random_state=1)
    return stored(df.drop(test.index)), stored(test)


def surprise_svd(train: pd.DataFrame, scale=(1, 5)) -> SVD:
    """SVD fitted by surprise directly, with PARAMS."""
    data = Dataset.load_from_df(train[TRIPLE], Reader(rating_scale=scale))
    return SVD(n_factors=20, n_epochs=30, random_state=4).fit(data.build_full_trainset())


def test_predicted_ratings_are_surprises_including_unseen_users_and_items(run, ratings) -> None:
    train, test = ratings
    unseen = pd.DataFrame(
        {"user_id": [1, 999, 999], "restaurant": ["Nowhere", "Thai #1", "Nowhere"]}
    )
    rows = pd.concat([test[["user_id", "restaurant"]], unseen], ignore_index=True)
    recommender = run(TRAIN, PARAMS, dataset=train)["recommender"]
    scored = run(SCORE, {}, recommender=recommender, dataset=rows)["dataset"]

    reference = surprise_svd(train)
    expected = [
        reference.predict(u, i).est for u, i in zip(rows.user_id, rows.restaurant, strict=True)
    ]
    assert list(scored.columns) == ["user_id", "restaurant", "Scored Rating"]
    assert scored["Scored Rating"].tolist() == expected
    # a stranger rating a stranger gets the mean rating of the training set
    assert scored["Scored Rating"].iloc[-1] == pytest.approx(train["rating"].mean())
    assert recommender.get_params()["label"] == "rating"


def test_the_same_seed_gives_the_same_model_and_another_seed_another(run, ratings) -> None:
    train, _ = ratings
    first = run(TRAIN, PARAMS, dataset=train)["recommender"]
    again = run(TRAIN, PARAMS, dataset=train)["recommender"]
    other = run(TRAIN, {**PARAMS, "seed": 5}, dataset=train)["recommender"]
    digest = [encode(m, PortType.RECOMMENDER).data for m in (first, again, other)]
    assert digest[0] == digest[1] != digest[2]


def test_the_first_three_columns_and_the_datas_scale_are_the_defaults(run, ratings) -> None:
    train, _ = ratings
    shuffled = train[["rating", "restaurant", "user_id"]]
    named = run(
        TRAIN,
        {**PARAMS, "user": "user_id", "item": "restaurant", "rating": "rating"},
        dataset=shuffled,
    )["recommender"]
    default = run(TRAIN, PARAMS, dataset=train)["recommender"]
    assert (named.user, named.item, named.rating) == ("user_id", "restaurant", "rating")
    assert (default.user, default.item, default.rating) == ("user_id", "restaurant", "rating")
    assert default.scale == (1.0, 5.0)
    wider = run(TRAIN, {**PARAMS, "rating_max": 10}, dataset=train)["recommender"]
    assert wider.scale == (1.0, 10.0)


def top(reference: SVD, user, items: list, count: int) -> list:
    estimates = np.array([reference.predict(user, i).est for i in items])
    return [items[i] for i in np.argsort(-estimates, kind="stable")[:count]]


def test_recommended_items_are_the_users_best_estimates(run, ratings) -> None:
    train, test = ratings
    recommender = run(TRAIN, PARAMS, dataset=train)["recommender"]
    reference = surprise_svd(train)
    everything = [reference.trainset.to_raw_iid(i) for i in reference.trainset.all_items()]
    users = test.drop_duplicates("user_id").head(20)
    for which in ("all", "unrated"):
        got = run(
            SCORE,
            {"mode": "item_recommendation", "candidates": which, "count": 4},
            recommender=recommender,
            dataset=users[["user_id"]],
        )["dataset"]
        assert list(got.columns) == ["User", *(f"Recommended Item {k}" for k in range(1, 5))]
        assert got["User"].tolist() == users["user_id"].tolist()
        for row in got.itertuples(index=False):
            seen = set(train.loc[train.user_id == row[0], "restaurant"])
            pool = [i for i in everything if which == "all" or i not in seen]
            assert list(row[1:]) == top(reference, row[0], pool, 4)
            if which == "unrated":
                assert not seen & set(row[1:])


def test_rated_ranks_each_users_items_of_the_table_with_gaps_beyond_them(run, ratings) -> None:
    train, test = ratings
    recommender = run(TRAIN, PARAMS, dataset=train)["recommender"]
    reference = surprise_svd(train)
    got = run(
        SCORE,
        {"mode": "item_recommendation", "candidates": "rated", "count": 6},
        recommender=recommender,
        dataset=test,
    )["dataset"]
    assert got["User"].tolist() == list(dict.fromkeys(test["user_id"]))
    for row in got.itertuples(index=False):
        mine = test.loc[test.user_id == row[0], "restaurant"].tolist()
        expected = top(reference, row[0], mine, 6)
        assert [i for i in row[1:] if not pd.isna(i)] == expected
        assert all(pd.isna(i) for i in row[1 + len(expected) :])


def test_integer_items_stay_integers_with_gaps(run) -> None:
    triples = pd.DataFrame(
        {"u": [1, 1, 2, 2, 3], "i": [10, 11, 10, 12, 11], "r": [5.0, 3.0, 4.0, 2.0, 1.0]}
    )
    recommender = run(TRAIN, {"factors": 2}, dataset=triples)["recommender"]
    got = run(
        SCORE,
        {"mode": "item_recommendation", "candidates": "unrated", "count": 2},
        recommender=recommender,
        dataset=triples,
    )["dataset"]
    assert str(got["Recommended Item 1"].dtype) == "Int64"
    assert got["Recommended Item 1"].tolist()[:2] == [12, 11]  # their one unrated item
    assert got["Recommended Item 2"].isna().tolist() == [True, True, False]
    assert set(got.iloc[2, 1:]) == {10, 12}


def test_rating_metrics_are_surprise_accuracys(run, ratings) -> None:
    train, test = ratings
    recommender = run(TRAIN, PARAMS, dataset=train)["recommender"]
    scored = run(SCORE, {}, recommender=recommender, dataset=test)["dataset"]
    got = run(EVALUATE, {}, test=test, scored=stored(scored))["metrics"]

    predictions = surprise_svd(train).test(list(test[TRIPLE].itertuples(index=False)))
    assert got["task"] == "rating_prediction"
    assert got["metrics"] == {
        "mae": accuracy.mae(predictions, verbose=False),
        "rmse": accuracy.rmse(predictions, verbose=False),
    }
    assert got["results"][0]["rows"] == len(test)
    assert got["results"][0]["learner"] == "SVD recommender"


def test_ranking_metrics_count_test_ratings_at_or_above_the_threshold(run, ratings) -> None:
    train, test = ratings
    recommender = run(TRAIN, PARAMS, dataset=train)["recommender"]
    scored = run(
        SCORE,
        {"mode": "item_recommendation", "candidates": "all", "count": 5},
        recommender=recommender,
        dataset=test,
    )["dataset"]
    got = run(EVALUATE, {"relevance_threshold": 4}, test=test, scored=stored(scored))["metrics"]

    reference = surprise_svd(train)
    items = [reference.trainset.to_raw_iid(i) for i in reference.trainset.all_items()]
    ndcg, precision, recall = [], [], []
    for user, rows in test.groupby("user_id"):
        relevant = set(rows.loc[rows.rating >= 4, "restaurant"])
        if not relevant:
            continue
        estimates = np.array([reference.predict(user, i).est for i in items])
        shown = top(reference, user, items, 5)
        hits = len(relevant & set(shown))
        truth = np.array([[i in relevant for i in items]], dtype=float)
        # scikit-learn's NDCG (the estimates' order; ties broken as the step breaks them)
        rank = np.empty(len(items))
        rank[np.argsort(-estimates, kind="stable")] = np.arange(len(items), 0, -1)
        ndcg.append(ndcg_score(truth, rank[None, :], k=5))
        precision.append(hits / 5)
        recall.append(hits / len(relevant))
    assert got["task"] == "item_recommendation"
    assert got["metrics"] == pytest.approx(
        {"ndcg": np.mean(ndcg), "precision": np.mean(precision), "recall": np.mean(recall)},
        rel=1e-12,
    )
    assert got["results"][0]["rows"] == len(ndcg)
    assert got["results"][0]["relevance_threshold"] == 4.0
    stricter = run(EVALUATE, {"relevance_threshold": 5}, test=test, scored=stored(scored))
    assert stricter["metrics"]["metrics"] != got["metrics"]


@pytest.mark.parametrize(
    ("table", "params", "start"),
    [
        (pd.DataFrame({"u": [1, 2]}), {}, "item: the table has only 1 column(s)"),
        (pd.DataFrame({"u": [1, 2], "i": [1, 2], "r": ["a", "b"]}), {}, "rating: column 'r'"),
        (
            pd.DataFrame({"u": [1, 2], "i": [1, 2], "r": [1.0, None]}),
            {},
            "rating: column 'r' has 1",
        ),
        (pd.DataFrame({"u": [1, None], "i": [1, 2], "r": [1, 2]}), {}, "user: column 'u' has 1"),
        (pd.DataFrame({"u": [1, 1], "i": [1, 2], "r": [1, 2]}), {}, "user: column 'u' holds 1"),
        (pd.DataFrame({"u": [1, 2], "i": [1, 1], "r": [1, 2]}), {}, "item: column 'i' holds 1"),
        (pd.DataFrame({"u": [1, 2], "i": [1, 2], "r": [3, 3]}), {}, "rating_max: the rating scale"),
        (
            pd.DataFrame({"u": [1, 2], "i": [1, 2], "r": [1, 9]}),
            {"rating_max": 5},
            "rating_min: 1 ratings of column 'r' lie outside the scale 1 to 5",
        ),
        (pd.DataFrame({"u": [1, 2], "i": [1, 2], "r": [1, 2]}), {"item": "x"}, "item: column 'x'"),
        (
            pd.DataFrame({"u": [1, 2], "i": [1, 2], "r": [1, 2]}),
            {"item": "u"},
            "item: column 'u' is",
        ),
    ],
)
def test_bad_training_tables_are_refused_naming_the_column(run, table, params, start) -> None:
    with pytest.raises(StepError) as error:
        run(TRAIN, params, dataset=table)
    assert str(error.value).startswith(start)


def test_bad_scoring_and_evaluation_inputs_are_refused(run, ratings) -> None:
    train, test = ratings
    recommender = run(TRAIN, PARAMS, dataset=train)["recommender"]
    with pytest.raises(StepError, match=r"^item: column 'restaurant' not found"):
        run(SCORE, {}, recommender=recommender, dataset=test[["user_id"]])
    scored = run(SCORE, {}, recommender=recommender, dataset=test)["dataset"]
    twice = pd.concat([test, test.head(2)], ignore_index=True)
    with pytest.raises(StepError, match=r"^test: 2 user, item pairs are rated more than once"):
        run(EVALUATE, {}, test=twice, scored=scored)
    with pytest.raises(StepError, match=r"^scored: the scored table lacks 'Scored Rating'"):
        run(EVALUATE, {}, test=test, scored=scored.drop(columns="Scored Rating"))
    with pytest.raises(StepError, match=r"^scored: this table has no recommender scores"):
        run(EVALUATE, {}, test=test, scored=test)
    with pytest.raises(StepError, match=r"^scored: these are a recommender's scores"):
        run("ml.evaluate_model@1", {}, scored=scored)
    ranked = run(SCORE, {"mode": "item_recommendation"}, recommender=recommender, dataset=test)[
        "dataset"
    ]
    with pytest.raises(StepError, match=r"^relevance_threshold: no scored user rates"):
        run(EVALUATE, {"relevance_threshold": 6}, test=test, scored=ranked)


def test_a_recommender_cannot_be_wired_into_score_model_nor_a_model_into_its_scorer() -> None:
    doc = graph(
        [
            node("data", "data.sample_dataset@1", name="restaurant_ratings"),
            node("train", TRAIN),
            node("score", "ml.score_model@1"),
            node("lr", "ml.linear_regression@1"),
            node("score_svd", SCORE),
        ],
        [
            ("data.dataset", "train.dataset"),
            ("train.recommender", "score.model"),
            ("data.dataset", "score.dataset"),
            ("lr.model", "score_svd.recommender"),
            ("data.dataset", "score_svd.dataset"),
        ],
    )
    _, issues = validate_document(doc, REGISTRY, {})
    refused = {(i.node, i.code) for i in issues}
    assert {("score", "incompatible_ports"), ("score_svd", "incompatible_ports")} <= refused


@pytest.mark.parametrize("mode", ["rating_prediction", "item_recommendation"])
def test_scored_columns_are_known_before_the_run(run, ratings, mode) -> None:
    doc = graph(
        [
            node("data", "data.sample_dataset@1", name="restaurant_ratings"),
            node("split", "transform.split_rows@1"),
            node("train", TRAIN, factors=5),
            node("score", SCORE, mode=mode, count=3),
        ],
        [
            ("data.dataset", "split.dataset"),
            ("split.train", "train.dataset"),
            ("train.recommender", "score.recommender"),
            ("split.test", "score.dataset"),
        ],
    )
    inferred = columns_of(doc)["score"]["dataset"]
    train, test = ratings
    recommender = run(TRAIN, {"factors": 5}, dataset=train)["recommender"]
    scored = run(SCORE, {"mode": mode, "count": 3}, recommender=recommender, dataset=test)
    assert names(inferred) == list(scored["dataset"].columns)


def test_the_sample_is_what_its_script_writes() -> None:
    script = DATA_DIR / "restaurant_ratings.py"
    written = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True
    ).stdout
    assert written == (DATA_DIR / "restaurant_ratings.csv").read_text()
