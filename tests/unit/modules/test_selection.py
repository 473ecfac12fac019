"""Filter based feature selection: scores as scikit-learn gives them, the best kept, replayed."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import datasets, feature_selection

from designer.engine.context import StepError
from tests.unit.modules.harness import stored

REF = "ml.select_features@1"


@pytest.fixture
def cancer() -> pd.DataFrame:
    return stored(datasets.load_breast_cancer(as_frame=True).frame)


@pytest.fixture
def diabetes() -> pd.DataFrame:
    return stored(datasets.load_diabetes(as_frame=True).frame)


def test_pearson_keeps_the_most_correlated_features(run, cancer) -> None:
    out = run(REF, {"label": "target", "count": 5}, dataset=cancer)
    features = cancer.drop(columns="target")
    expected = np.abs(feature_selection.r_regression(features, cancer["target"].astype(float)))
    best = list(features.columns[np.argsort(-expected, kind="stable")[:5]])
    scores = out["scores"]
    assert scores["Score"].tolist() == sorted(expected.tolist(), reverse=True)
    assert scores[scores["Selected"]]["Feature"].tolist() == best
    # the table keeps the label and the five best, in the table's own order
    assert list(out["dataset"].columns) == [c for c in cancer.columns if c in {*best, "target"}]
    assert out["dataset"].equals(cancer[list(out["dataset"].columns)])


@pytest.mark.parametrize(
    ("method", "task", "score"),
    [
        ("f_score", "classification", lambda X, y: feature_selection.f_classif(X, y)[0]),
        ("chi_squared", "classification", lambda X, y: feature_selection.chi2(X, y)[0]),
        (
            "mutual_information",
            "classification",
            lambda X, y: feature_selection.mutual_info_classif(X, y, random_state=3),
        ),
        (
            "spearman",
            "classification",
            lambda X, y: [abs(stats.spearmanr(X[c], y).statistic) for c in X.columns],
        ),
        (
            "kendall",
            "regression",
            lambda X, y: [abs(stats.kendalltau(X[c], y).statistic) for c in X.columns],
        ),
    ],
)
def test_every_method_scores_as_its_library_does(run, cancer, method, task, score) -> None:
    out = run(REF, {"label": "target", "method": method, "task": task, "seed": 3}, dataset=cancer)
    features = cancer.drop(columns="target")
    expected = dict(zip(features.columns, score(features, cancer["target"]), strict=True))
    got = dict(zip(out["scores"]["Feature"], out["scores"]["Score"], strict=True))
    assert got == expected
    assert out["scores"]["Selected"].sum() == 10


def test_a_regression_label_and_the_selection_replayed_on_other_rows(run, diabetes) -> None:
    train = stored(diabetes.iloc[:300])
    test = diabetes.iloc[300:].drop(columns="target")
    params = {"label": "target", "method": "f_score", "task": "regression", "count": 3}
    out = run(REF, params, dataset=train)
    expected = feature_selection.f_regression(train.drop(columns="target"), train["target"])[0]
    assert out["scores"]["Score"].tolist() == sorted(expected.tolist(), reverse=True)
    kept = out["scores"][out["scores"]["Selected"]]["Feature"].tolist()
    replayed = run("transform.apply_transform@1", transform=out["transform"], dataset=test)
    assert list(replayed["dataset"].columns) == [c for c in test.columns if c in kept]


def test_candidates_are_chosen_and_other_columns_pass_through(run, cancer) -> None:
    table = cancer.assign(name=[f"patient {i}" for i in range(len(cancer))])
    chosen = ["mean radius", "mean texture", "mean area"]
    out = run(REF, {"label": "target", "columns": chosen, "count": 1}, dataset=table)
    assert sorted(out["scores"]["Feature"]) == sorted(chosen)
    (kept,) = out["scores"][out["scores"]["Selected"]]["Feature"]
    expected = [c for c in table.columns if c == kept or c not in chosen]  # name, target too
    assert list(out["dataset"].columns) == expected


@pytest.mark.parametrize(
    ("params", "table", "message"),
    [
        ({"columns": ["name"]}, "named", "columns: 'name' are not numeric"),
        ({}, "holes", "dataset: 'mean radius' have missing values"),
        ({"method": "chi_squared"}, "negative", "method: chi-squared needs non-negative features"),
        ({"method": "chi_squared", "task": "regression"}, "cancer", "chi-squared scores features"),
        (
            {"task": "regression", "label": "kind"},
            "named",
            "task: a regression label must be numeric",
        ),
        ({"label": "kind"}, "named", "label: Pearson correlation needs a numeric label"),
        (
            {"label": "kind", "method": "kendall"},
            "named",
            "label: Kendall correlation needs a numeric label",
        ),
        ({"label": "nope"}, "cancer", "label"),
    ],
)
def test_what_cannot_be_scored_is_named(run, cancer, params, table, message) -> None:
    tables = {
        "cancer": cancer,
        "named": cancer.assign(name="x", kind=np.where(cancer["target"] == 1, "b", "m")),
        "holes": cancer.assign(**{"mean radius": cancer["mean radius"].where(cancer.index > 3)}),
        "negative": cancer.assign(**{"mean radius": cancer["mean radius"] - 15}),
    }
    with pytest.raises(StepError, match=message):
        run(REF, {"label": "target", **params}, dataset=tables[table])


def test_a_constant_column_scores_nothing_by_rank_correlation(run, cancer) -> None:
    table = cancer.assign(flat=1.0)
    with warnings.catch_warnings():  # SciPy's warning about it is not the user's business
        warnings.simplefilter("error", stats.ConstantInputWarning)
        out = run(REF, {"label": "target", "method": "spearman", "count": 30}, dataset=table)
    scores = dict(zip(out["scores"]["Feature"], out["scores"]["Score"], strict=True))
    assert scores["flat"] == 0.0
    assert out["scores"]["Feature"].iloc[-1] == "flat"
