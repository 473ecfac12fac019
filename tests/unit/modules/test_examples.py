"""Parity: each example graph, run through the engine worker, gives scikit-learn's metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    IsolationForest,
    RandomForestClassifier,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import OneClassSVM
from surprise import SVD, Dataset, Reader, accuracy

from designer.engine.validate import validate_document
from designer.modules.data import load_sample
from tests.unit.modules.harness import REGISTRY, run_graph

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def binary(y, pred, proba) -> dict[str, float]:
    return {
        "accuracy": metrics.accuracy_score(y, pred),
        "precision": metrics.precision_score(y, pred, pos_label=sorted(set(y))[1]),
        "recall": metrics.recall_score(y, pred, pos_label=sorted(set(y))[1]),
        "f1": metrics.f1_score(y, pred, pos_label=sorted(set(y))[1]),
        "auc": metrics.roc_auc_score(y == sorted(set(y))[1], proba),
        "log_loss": metrics.log_loss(y, proba),
    }


def boosted_trees(text: list[str], seed: int) -> Pipeline:
    """Boosted trees as Train model fits them on a table with text features: one-hot encoded
    inside the model, the other columns after them."""
    encode = ColumnTransformer(
        [("text", OneHotEncoder(handle_unknown="ignore", sparse_output=False), text)],
        remainder="passthrough",
    )
    learner = HistGradientBoostingClassifier(early_stopping=False, random_state=seed)
    return Pipeline([("encode", encode), ("learner", learner)])


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_example_is_valid(path: Path) -> None:
    _, issues = validate_document(json.loads(path.read_text()), REGISTRY, {})
    assert issues == []


def test_regression_diabetes(tmp_path: Path) -> None:
    got = run_graph(EXAMPLES / "regression_diabetes.json", tmp_path)["evaluate"]["metrics"][
        "metrics"
    ]
    df = load_sample("diabetes").dropna()
    train, test = train_test_split(df, test_size=0.2, random_state=42)
    pred = (
        LinearRegression()
        .fit(train.drop(columns="target"), train["target"])
        .predict(test.drop(columns="target"))
    )
    y = test["target"]
    expected = {
        "mae": metrics.mean_absolute_error(y, pred),
        "mse": metrics.mean_squared_error(y, pred),
        "rmse": metrics.root_mean_squared_error(y, pred),
        "r2": metrics.r2_score(y, pred),
        "relative_absolute_error": np.abs(y - pred).sum() / np.abs(y - y.mean()).sum(),
        "relative_squared_error": ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum(),
    }
    assert got == pytest.approx(expected, rel=1e-9)


def test_binary_breast_cancer_two_models(tmp_path: Path) -> None:
    got = run_graph(EXAMPLES / "binary_breast_cancer.json", tmp_path)["evaluate"]["metrics"][
        "results"
    ]
    df = load_sample("breast_cancer")
    train, test = train_test_split(df, test_size=0.25, random_state=42, stratify=df["target"])
    features = [c for c in df.columns if c != "target"]
    scaler = StandardScaler().fit(train[features])
    X_train, X_test = scaler.transform(train[features]), scaler.transform(test[features])
    models = [
        LogisticRegression(C=1.0, max_iter=1000),
        HistGradientBoostingClassifier(early_stopping=False, random_state=42),
    ]
    for result, model in zip(got, models, strict=True):
        model.fit(X_train, train["target"])
        proba = model.predict_proba(X_test)[:, 1]
        expected = binary(test["target"], model.predict(X_test), proba)
        assert result["metrics"] == pytest.approx(expected, rel=1e-7)


def test_multiclass_wine(tmp_path: Path) -> None:
    got = run_graph(EXAMPLES / "multiclass_wine.json", tmp_path)["evaluate"]["metrics"]["metrics"]
    df = load_sample("wine")
    train, test = train_test_split(df, test_size=0.3, random_state=7, stratify=df["target"])
    forest = RandomForestClassifier(n_estimators=200, random_state=7, n_jobs=1)
    forest.fit(train.drop(columns="target"), train["target"])
    X, y = test.drop(columns="target"), test["target"]
    pred, proba = forest.predict(X), forest.predict_proba(X)
    expected = {
        "accuracy": metrics.accuracy_score(y, pred),
        "precision": metrics.precision_score(y, pred, average="macro"),
        "recall": metrics.recall_score(y, pred, average="macro"),
        "f1": metrics.f1_score(y, pred, average="macro"),
        "auc": metrics.roc_auc_score(y, proba, multi_class="ovr", labels=forest.classes_),
        "log_loss": metrics.log_loss(y, proba, labels=forest.classes_),
    }
    assert got == pytest.approx(expected, rel=1e-9)


def test_clustering_iris(tmp_path: Path) -> None:
    got = run_graph(EXAMPLES / "clustering_iris.json", tmp_path)["evaluate"]["metrics"]["metrics"]
    df = load_sample("iris")
    train, test = train_test_split(df, test_size=0.3, random_state=1)
    features = list(df.columns[:4])
    labels = KMeans(3, random_state=1, n_init=10).fit(train[features]).predict(test[features])
    expected = {
        "clusters": 3,
        "silhouette": metrics.silhouette_score(test[features], labels),
        "davies_bouldin": metrics.davies_bouldin_score(test[features], labels),
        "calinski_harabasz": metrics.calinski_harabasz_score(test[features], labels),
    }
    assert got == pytest.approx(expected, rel=1e-9)


def test_sql_and_python_loans(tmp_path: Path) -> None:
    values = run_graph(EXAMPLES / "sql_python_loans.json", tmp_path)
    got = values["evaluate"]["metrics"]["metrics"]
    df = load_sample("loan_applications")
    for column in ("annual_income", "credit_score"):
        df[column] = df[column].fillna(df[column].median())
    df = df[df["age"] >= 21].assign(
        employment=df["employment"].fillna("unknown"),
        loan_to_income=df["loan_amount"] / df["annual_income"],
        monthly_amount=df["loan_amount"] / df["term_months"],
    )
    df = df[["age", "employment", "annual_income", "home_ownership", "loan_amount", "term_months",
             "credit_score", "loan_to_income", "monthly_amount", "approved"]]  # fmt: skip
    df["log_income"] = np.log(df["annual_income"])
    bands = pd.cut(
        df["credit_score"], [0, 580, 670, 740, 900], labels=["poor", "fair", "good", "excellent"]
    )
    df["credit_band"] = bands.astype(str)
    pd.testing.assert_frame_equal(
        values["script"]["result1"], df.reset_index(drop=True), check_dtype=False
    )
    (figure,) = values["script"]["figures"]["figures"]
    drawn = (figure["title"], figure["width"], figure["height"])
    assert drawn == ("Approval rate by credit band", 640, 480)
    train, test = train_test_split(df, test_size=0.25, random_state=3, stratify=df["approved"])
    features = [c for c in df.columns if c != "approved"]
    text = ["employment", "home_ownership", "credit_band"]
    model = boosted_trees(text, seed=3).fit(train[features], train["approved"])
    proba = model.predict_proba(test[features])[:, 1]
    expected = binary(test["approved"], model.predict(test[features]), proba)
    assert got == pytest.approx(expected, rel=1e-9)


def test_imbalanced_loans(tmp_path: Path) -> None:
    from imblearn.over_sampling import SMOTENC

    values = run_graph(EXAMPLES / "imbalanced_loans.json", tmp_path)
    summary = values["summary"]["statistics"].set_index("Feature")
    assert summary.loc["credit_score", "Missing"] > 0 and summary.loc["employment", "Missing"] > 0
    df = load_sample("loan_applications")
    for column in ("annual_income", "credit_score"):
        df[column] = df[column].fillna(df[column].median())
    df = df.assign(employment=df["employment"].fillna("unknown")).drop(columns="applicant_id")
    train, test = train_test_split(df, test_size=0.25, random_state=5, stratify=df["approved"])
    features = [c for c in df.columns if c != "approved"]
    text = ["employment", "home_ownership", "loan_purpose"]
    rare = int((train["approved"] == "no").sum())
    grown, labels = SMOTENC(
        categorical_features=text, sampling_strategy={"no": 3 * rare}, random_state=5
    ).fit_resample(train[features], train["approved"])
    assert values["smote"]["dataset"]["approved"].value_counts()["no"] == 3 * rare
    model = boosted_trees(text, seed=5).fit(grown, labels)
    proba = model.predict_proba(test[features])[:, 1]
    expected = binary(test["approved"], model.predict(test[features]), proba)
    assert values["evaluate"]["metrics"]["metrics"] == pytest.approx(expected, rel=1e-9)


def test_anomalous_tumours(tmp_path: Path) -> None:
    got = run_graph(EXAMPLES / "anomalous_tumours.json", tmp_path)["evaluate"]["metrics"]
    df = load_sample("breast_cancer")
    train, test = train_test_split(df, test_size=0.25, random_state=7, stratify=df["target"])
    features = [c for c in df.columns if c != "target"]
    scaler = StandardScaler().fit(train[features])
    X_train, X_test = scaler.transform(train[features]), scaler.transform(test[features])
    benign = X_train[(train["target"] == 1).to_numpy()]
    detectors = [
        IsolationForest(contamination=0.1, random_state=7, n_jobs=1).fit(X_train),
        OneClassSVM(nu=0.05).fit(benign),
    ]
    truth = (test["target"] == 0).to_numpy()
    for result, detector in zip(got["results"], detectors, strict=True):
        flags = detector.predict(X_test) == -1
        expected = {
            "anomalies": int(flags.sum()),
            "anomaly_share": flags.mean(),
            "accuracy": metrics.accuracy_score(truth, flags),
            "precision": metrics.precision_score(truth, flags),
            "recall": metrics.recall_score(truth, flags),
            "f1": metrics.f1_score(truth, flags),
            "auc": metrics.roc_auc_score(truth, -detector.score_samples(X_test)),
        }
        assert result["metrics"] == pytest.approx(expected, rel=1e-9)
    assert got["results"][1]["metrics"]["auc"] > 0.95  # the benign rows' boundary


def test_restaurant_recommendations(tmp_path: Path) -> None:
    values = run_graph(EXAMPLES / "restaurant_recommendations.json", tmp_path)
    train, test = values["split"]["train"], values["split"]["test"]
    triples = ["user_id", "restaurant", "rating"]
    ratings = Dataset.load_from_df(train[triples], Reader(rating_scale=(1, 5)))
    svd = SVD(n_factors=10, n_epochs=50, lr_all=0.01, reg_all=0.05, random_state=7)
    svd.fit(ratings.build_full_trainset())
    predictions = svd.test(list(test[triples].itertuples(index=False)))
    got = values["evaluate_ratings"]["metrics"]["metrics"]
    assert got == {
        "mae": accuracy.mae(predictions, verbose=False),
        "rmse": accuracy.rmse(predictions, verbose=False),
    }
    baseline = (test["rating"] - train["rating"].mean()).abs().mean()
    assert got["mae"] < 0.75 * baseline  # the tastes are learnt, not just the mean rating

    ndcg, precision, recall = [], [], []
    for user, rows in test.groupby("user_id", sort=False):
        relevant = set(rows.loc[rows["rating"] >= 4, "restaurant"])
        if not relevant:
            continue
        items = list(dict.fromkeys(rows["restaurant"]))
        estimates = np.array([svd.predict(user, i).est for i in items])
        shown = [items[i] for i in np.argsort(-estimates, kind="stable")[:5]]
        gains = np.array([i in relevant for i in shown], dtype=float)
        discounts = 1 / np.log2(np.arange(2, 7))
        ndcg.append(
            (gains * discounts[: len(gains)]).sum() / discounts[: min(len(relevant), 5)].sum()
        )
        precision.append(gains.sum() / 5)
        recall.append(gains.sum() / len(relevant))
    ranking = values["evaluate_ranking"]["metrics"]["metrics"]
    assert ranking == pytest.approx(
        {"ndcg": np.mean(ndcg), "precision": np.mean(precision), "recall": np.mean(recall)},
        rel=1e-12,
    )
    suggested = values["suggest"]["dataset"]
    for row in suggested.head(20).itertuples(index=False):
        assert not set(row[1:]) & set(train.loc[train["user_id"] == row[0], "restaurant"])
