"""Learners, train, score, evaluate, cross-validate, tune, permutation importance, clustering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier

from designer.engine.artifacts import encode
from designer.engine.context import StepError
from designer.engine.types import PortType
from designer.modules.data import load_sample

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

LEARNERS = {
    "ml.linear_regression@1": "regression",
    "ml.logistic_regression@1": "classification",
    "ml.decision_forest_classifier@1": "classification",
    "ml.decision_forest_regressor@1": "regression",
    "ml.boosted_tree_classifier@1": "classification",
    "ml.boosted_tree_regressor@1": "regression",
    "ml.neural_network_classifier@1": "classification",
    "ml.neural_network_regressor@1": "regression",
    "ml.svm_classifier@1": "classification",
    "ml.svm_regressor@1": "regression",
    "ml.knn_classifier@1": "classification",
    "ml.knn_regressor@1": "regression",
    "ml.naive_bayes@1": "classification",
    "ml.decision_tree_classifier@1": "classification",
    "ml.decision_tree_regressor@1": "regression",
    "ml.quantile_regression@1": "regression",
}


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, pd.DataFrame]:
    df = load_sample("breast_cancer")
    features = df.columns.drop("target")
    df[features] = (df[features] - df[features].mean()) / df[features].std()  # fast convergence
    return df.iloc[::2].reset_index(drop=True), df.iloc[1::2].reset_index(drop=True)


def train_and_score(
    run, learner: str, train: pd.DataFrame, test: pd.DataFrame, label: str = "target", **params
):
    model = run(
        "ml.train_model@1", {"label": label}, model=run(learner, params)["model"], dataset=train
    )["model"]
    return model, run("ml.score_model@1", model=model, dataset=test)["dataset"]


@pytest.mark.parametrize("learner", sorted(LEARNERS))
def test_every_learner_trains_and_scores(run, learner) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (
        X[:, 0] * 2 - X[:, 1]
        if LEARNERS[learner] == "regression"
        else np.where(X[:, 0] > 0, "up", "down")
    )
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y)
    model, scored = train_and_score(run, learner, df.iloc[:80], df.iloc[80:], label="y")
    assert model.task == LEARNERS[learner] and model.features == ["a", "b", "c"]
    assert "Scored Labels" in scored.columns and len(scored) == 40
    result = run("ml.evaluate_model@1", scored=scored)["metrics"]
    if LEARNERS[learner] == "classification":
        assert (
            scored["Scored Probabilities"].between(0, 1).all()
            and result["metrics"]["accuracy"] > 0.8
        )
    else:
        assert result["metrics"]["r2"] > 0.5


@pytest.mark.parametrize("learner", sorted(LEARNERS))
def test_every_learners_own_search_space_tunes(run, learner) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 2))
    task = LEARNERS[learner]
    y = X[:, 0] - X[:, 1] if task == "regression" else np.where(X[:, 0] > 0, "up", "down")
    df = pd.DataFrame(X, columns=["a", "b"]).assign(y=y)
    params = {"label": "y", "method": "random", "iterations": 2, "folds": 3, "seed": 0}
    params["metric"] = "r2" if task == "regression" else "accuracy"
    model = run(learner, {"n_estimators": 10} if "forest" in learner else {})["model"]
    out = run("ml.tune_hyperparameters@1", params, model=model, dataset=df)
    assert len(out["results"]) == 2
    assert set(out["model"].hyperparameters) <= set(model.search_space)


def test_models_describe_themselves_in_output_summaries(run, cancer) -> None:
    train, test = cancer
    model, _ = train_and_score(run, "ml.logistic_regression@1", train, test, C=0.5)
    summary = encode(model, PortType.MODEL).summary["params"]
    assert summary["label"] == "target" and summary["classes"] == [0, 1]
    assert summary["hyperparameters"]["C"] == 0.5 and len(summary["features"]) == 30


def test_binary_metrics_equal_scikit_learn(run, cancer) -> None:
    train, test = cancer
    _, scored = train_and_score(run, "ml.logistic_regression@1", train, test, C=0.5)
    direct = LogisticRegression(C=0.5, max_iter=1000).fit(
        train.drop(columns="target"), train["target"]
    )
    X, y = test.drop(columns="target"), test["target"]
    proba, pred = direct.predict_proba(X)[:, 1], direct.predict(X)
    np.testing.assert_allclose(scored["Scored Probabilities"], proba)
    result = run("ml.evaluate_model@1", scored=scored)["metrics"]
    assert result["task"] == "binary"
    expected = {
        "accuracy": metrics.accuracy_score(y, pred),
        "precision": metrics.precision_score(y, pred),
        "recall": metrics.recall_score(y, pred),
        "f1": metrics.f1_score(y, pred),
        "auc": metrics.roc_auc_score(y, proba),
        "log_loss": metrics.log_loss(y, proba),
    }
    assert result["metrics"] == pytest.approx(expected, rel=1e-9)
    detail = result["results"][0]
    assert detail["confusion_matrix"]["matrix"] == metrics.confusion_matrix(y, pred).tolist()
    roc = detail["curves"]["1"]["roc"]
    assert roc["fpr"][0] == 0.0 and roc["tpr"][-1] == 1.0 and len(roc["fpr"]) <= 101


def test_multiclass_scores_per_class(run) -> None:
    iris = load_sample("iris")
    train, test = iris.iloc[::2], iris.iloc[1::2]
    _, scored = train_and_score(run, "ml.logistic_regression@1", train, test)
    columns = [f"Scored Probabilities_{c}" for c in ("setosa", "versicolor", "virginica")]
    np.testing.assert_allclose(scored[columns].sum(axis=1), 1.0)
    result = run("ml.evaluate_model@1", scored=scored)["metrics"]
    y, pred = test["target"], scored["Scored Labels"]
    assert result["task"] == "multiclass"
    assert result["metrics"]["f1"] == pytest.approx(metrics.f1_score(y, pred, average="macro"))
    assert result["metrics"]["auc"] == pytest.approx(
        metrics.roc_auc_score(y, scored[columns].to_numpy(), multi_class="ovr")
    )
    assert set(result["results"][0]["curves"]) == {"setosa", "versicolor", "virginica"}
    per_class = result["results"][0]["per_class"]["virginica"]
    assert per_class["recall"] == pytest.approx(
        metrics.recall_score(y, pred, labels=["virginica"], average=None)[0]
    )
    assert per_class["support"] == int((y == "virginica").sum())


def test_regression_relative_errors(run) -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "y": [1.0, 3.0, 2.0, 5.0, 4.0]})
    _, scored = train_and_score(run, "ml.linear_regression@1", df, df, label="y")
    m = run("ml.evaluate_model@1", scored=scored)["metrics"]["metrics"]
    err = df["y"] - scored["Scored Labels"]
    assert m["relative_squared_error"] == pytest.approx((err**2).sum() / ((df["y"] - 3) ** 2).sum())
    assert m["relative_absolute_error"] == pytest.approx(
        err.abs().sum() / (df["y"] - 3).abs().sum()
    )
    assert m["r2"] == pytest.approx(1 - m["relative_squared_error"])
    assert m["rmse"] == pytest.approx(np.sqrt((err**2).mean()))


def test_regression_evaluation_plots_predictions_against_labels_and_the_residuals(run) -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=1200)})
    df["y"] = 3 * df["x"] + rng.normal(size=1200)
    _, scored = train_and_score(run, "ml.linear_regression@1", df, df, label="y")
    result = run("ml.evaluate_model@1", scored=scored)["metrics"]["results"][0]
    points = result["predicted_vs_actual"]
    assert len(points["actual"]) == len(points["predicted"]) == 500  # 1,200 rows thinned
    row = df.index[df["y"] == points["actual"][-1]][0]  # the last row is always drawn
    assert points["predicted"][-1] == pytest.approx(scored["Scored Labels"][row])
    residuals = result["residuals"]
    assert sum(residuals["counts"]) == 1200
    assert len(residuals["edges"]) == len(residuals["counts"]) + 1
    errors = df["y"] - scored["Scored Labels"]
    assert residuals["edges"][0] == pytest.approx(errors.min())
    assert residuals["edges"][-1] == pytest.approx(errors.max())


def test_poisson_regression_equals_scikit_learn_and_refuses_negative_counts(run) -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2))
    df = pd.DataFrame(X, columns=["a", "b"]).assign(
        calls=rng.poisson(np.exp(0.8 * X[:, 0] - 0.4 * X[:, 1] + 1))
    )
    _, scored = train_and_score(
        run, "ml.poisson_regression@1", df[:200], df[200:], label="calls", l2=0.1
    )
    direct = PoissonRegressor(alpha=0.1, max_iter=1000).fit(df[["a", "b"]][:200], df["calls"][:200])
    np.testing.assert_array_equal(scored["Scored Labels"], direct.predict(df[["a", "b"]][200:]))
    assert run("ml.evaluate_model@1", scored=scored)["metrics"]["metrics"]["r2"] > 0.5
    with pytest.raises(StepError, match="'calls' has 1 negative values; Poisson") as caught:
        negative = df.assign(calls=df["calls"].where(df.index != 3, -1))
        train_and_score(run, "ml.poisson_regression@1", negative, df, label="calls")
    assert caught.value.param == "label"


def test_quantile_regression_predicts_a_quantile_and_is_evaluated_by_it(run) -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 10, size=2000)
    df = pd.DataFrame({"x": x, "y": x + rng.normal(scale=1 + x / 5, size=2000)})
    _, scored = train_and_score(
        run, "ml.quantile_regression@1", df[:1500], df[1500:], label="y", quantile=0.9, seed=0
    )
    direct = HistGradientBoostingRegressor(
        loss="quantile", quantile=0.9, early_stopping=False, random_state=0
    ).fit(df[["x"]][:1500], df["y"][:1500])
    predicted = direct.predict(df[["x"]][1500:])
    np.testing.assert_array_equal(scored["Scored Labels"], predicted)
    got = run("ml.evaluate_model@1", scored=scored)["metrics"]["metrics"]
    truth = df["y"][1500:]
    assert got["pinball_loss"] == metrics.mean_pinball_loss(truth, predicted, alpha=0.9)
    assert got["coverage"] == np.mean(truth <= predicted) and 0.85 < got["coverage"] < 0.95
    _, mean = train_and_score(run, "ml.boosted_tree_regressor@1", df[:1500], df[1500:], label="y")
    assert "pinball_loss" not in run("ml.evaluate_model@1", scored=mean)["metrics"]["metrics"]


def test_a_quantile_regression_is_tuned_by_its_pinball_loss(run) -> None:
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 10, size=600)
    df = pd.DataFrame({"x": x, "y": x + rng.normal(scale=1 + x / 5, size=600)})
    model = run("ml.quantile_regression@1", {"quantile": 0.8, "seed": 0})["model"]
    params = {"label": "y", "metric": "pinball_loss", "folds": 3, "seed": 0}
    params["space"] = '{"learning_rate": [0.03, 0.3], "max_leaf_nodes": [7, 31]}'
    out = run("ml.tune_hyperparameters@1", params, model=model, dataset=df)
    reference = GridSearchCV(
        HistGradientBoostingRegressor(
            loss="quantile", quantile=0.8, early_stopping=False, random_state=0
        ),
        {"learning_rate": [0.03, 0.3], "max_leaf_nodes": [7, 31]},
        scoring=metrics.make_scorer(metrics.mean_pinball_loss, alpha=0.8, greater_is_better=False),
        cv=KFold(n_splits=3, shuffle=True, random_state=0),
    ).fit(df[["x"]], df["y"])
    assert out["model"].hyperparameters == reference.best_params_
    assert out["results"]["mean pinball_loss"][0] == -reference.best_score_
    scored = run("ml.score_model@1", model=out["model"], dataset=df)["dataset"]
    assert "pinball_loss" in run("ml.evaluate_model@1", scored=scored)["metrics"]["metrics"]
    folds = run("ml.cross_validate@1", {"label": "y", "folds": 3}, model=model, dataset=df)
    assert {"pinball_loss", "coverage"} <= set(folds["metrics"]["metrics"])
    plain = run("ml.linear_regression@1")["model"]
    with pytest.raises(StepError, match="'pinball_loss' scores a quantile regression; choose"):
        run("ml.tune_hyperparameters@1", params | {"space": ""}, model=plain, dataset=df)


def test_one_vs_all_wraps_a_classifier_as_scikit_learn_does(run) -> None:
    wine = load_sample("wine")
    features = wine.columns.drop("target")
    wine[features] = (wine[features] - wine[features].mean()) / wine[features].std()
    train, test = wine.iloc[::2], wine.iloc[1::2]
    inner = run("ml.logistic_regression@1", {"C": 0.3})["model"]
    wrapped = run("ml.one_vs_all@1", model=inner)["model"]
    assert wrapped.learner == "One-vs-all (Logistic regression)"
    assert wrapped.search_space == {"estimator__C": [0.01, 0.1, 1.0, 10.0, 100.0]}
    trained = run("ml.train_model@1", {"label": "target"}, model=wrapped, dataset=train)["model"]
    scored = run("ml.score_model@1", model=trained, dataset=test)["dataset"]
    direct = OneVsRestClassifier(LogisticRegression(C=0.3, max_iter=1000)).fit(
        train[features], train["target"]
    )
    proba = direct.predict_proba(test[features])
    for i, cls in enumerate(direct.classes_):
        np.testing.assert_array_equal(scored[f"Scored Probabilities_{cls}"], proba[:, i])
    tuned = run(
        "ml.tune_hyperparameters@1",
        {"label": "target", "metric": "accuracy", "folds": 3},
        model=wrapped,
        dataset=train,
    )["model"]
    assert set(tuned.hyperparameters) >= {"estimator__C"}
    with pytest.raises(StepError, match="model: expects an untrained classifier, got Linear"):
        run("ml.one_vs_all@1", model=run("ml.linear_regression@1")["model"])


def test_one_vs_one_votes_as_scikit_learn_does_and_gives_no_probabilities(run) -> None:
    wine = load_sample("wine")
    features = wine.columns.drop("target")
    wine[features] = (wine[features] - wine[features].mean()) / wine[features].std()
    train, test = wine.iloc[::2], wine.iloc[1::2]
    inner = run("ml.logistic_regression@1", {"C": 0.3})["model"]
    wrapped = run("ml.one_vs_one@1", model=inner)["model"]
    assert wrapped.learner == "One-vs-one (Logistic regression)"
    assert wrapped.search_space == {"estimator__C": [0.01, 0.1, 1.0, 10.0, 100.0]}
    trained = run("ml.train_model@1", {"label": "target"}, model=wrapped, dataset=train)["model"]
    scored = run("ml.score_model@1", model=trained, dataset=test)["dataset"]
    direct = OneVsOneClassifier(LogisticRegression(C=0.3, max_iter=1000)).fit(
        train[features], train["target"]
    )
    assert list(scored.columns) == [*test.columns, "Scored Labels"]
    assert scored["Scored Labels"].tolist() == direct.predict(test[features]).tolist()

    result = run("ml.evaluate_model@1", scored=scored)["metrics"]["results"][0]
    got, truth, pred = result["metrics"], test["target"], scored["Scored Labels"]
    assert result["task"] == "multiclass"
    assert got["accuracy"] == metrics.accuracy_score(truth, pred)
    assert got["f1"] == metrics.f1_score(truth, pred, average="macro")
    assert got["auc"] is None and got["log_loss"] is None and result["curves"] == {}
    assert set(result["unavailable"]) == {"auc", "log_loss", "curves"}
    assert "no class probabilities" in result["unavailable"]["auc"]
    assert result["confusion_matrix"]["matrix"] == metrics.confusion_matrix(truth, pred).tolist()
    # side by side with a classifier that has probabilities
    _, other = train_and_score(run, "ml.naive_bayes@1", train, test)
    both = run("ml.evaluate_model@1", scored=scored, scored2=other)["metrics"]["results"]
    assert both[1]["metrics"]["auc"] is not None and "unavailable" not in both[1]

    folds = run("ml.cross_validate@1", {"label": "target", "folds": 3}, model=wrapped, dataset=wine)
    assert set(folds["metrics"]["metrics"]) == {"accuracy", "precision", "recall", "f1"}
    tuning = {"label": "target", "metric": "f1", "folds": 3}
    tuned = run("ml.tune_hyperparameters@1", tuning, model=wrapped, dataset=train)["model"]
    assert set(tuned.hyperparameters) >= {"estimator__C"}
    for metric in ("auc", "log_loss"):
        with pytest.raises(StepError, match=f"'{metric}' needs class probabilities") as e:
            run(
                "ml.tune_hyperparameters@1",
                {**tuning, "metric": metric},
                model=wrapped,
                dataset=train,
            )
        assert e.value.param == "metric"
    with pytest.raises(StepError, match="'auc' needs class probabilities"):
        run("ml.permutation_importance@1", {"metric": "auc"}, model=trained, dataset=test)
    with pytest.raises(StepError, match="model: expects an untrained classifier, got Isolation"):
        run("ml.one_vs_one@1", model=run("ml.isolation_forest@1")["model"])


def test_compare_two_models_side_by_side(run, cancer) -> None:
    train, test = cancer
    _, first = train_and_score(run, "ml.logistic_regression@1", train, test)
    _, second = train_and_score(run, "ml.decision_forest_classifier@1", train, test)
    result = run("ml.evaluate_model@1", scored=first, scored2=second)["metrics"]
    assert [r["input"] for r in result["results"]] == ["scored", "scored2"]
    assert [r["learner"] for r in result["results"]] == [
        "Logistic regression",
        "Decision forest classifier",
    ]
    regression = pd.DataFrame({"x": np.arange(10.0), "target": np.arange(10.0)})
    _, other = train_and_score(run, "ml.linear_regression@1", regression, regression)
    with pytest.raises(StepError, match="scored2: cannot compare binary with regression"):
        run("ml.evaluate_model@1", scored=first, scored2=other)


def test_text_features_are_encoded_and_unseen_categories_scored(run) -> None:
    df = pd.DataFrame(
        {"color": ["red", "blue"] * 20, "size": np.arange(40.0), "y": ["a", "b"] * 20}
    )
    test = pd.DataFrame({"color": ["green", "red"], "size": [1.0, 2.0], "y": ["a", "a"]})
    _, scored = train_and_score(run, "ml.logistic_regression@1", df, test, label="y")
    assert len(scored) == 2


def test_training_errors_name_the_problem(run, cancer) -> None:
    train, _ = cancer
    learner = run("ml.logistic_regression@1")["model"]
    with pytest.raises(StepError, match="label: column 'diagnosis' not found") as err:
        run("ml.train_model@1", {"label": "diagnosis"}, model=learner, dataset=train)
    assert err.value.param == "label"
    with pytest.raises(StepError, match="label: choose the label column"):
        run("ml.train_model@1", model=learner, dataset=train)
    holes = train.copy()
    holes.loc[3, "mean radius"] = None
    with pytest.raises(StepError, match="feature columns 'mean radius' have missing values"):
        run("ml.train_model@1", {"label": "target"}, model=learner, dataset=holes)
    with pytest.raises(
        StepError,
        match=r"'mean radius' holds continuous values \(\d+ distinct: [-\d.e, ]+, …\); use a "
        "regression learner",
    ):
        run("ml.train_model@1", {"label": "mean radius"}, model=learner, dataset=train)
    scaled = run("transform.normalize@1", {"method": "zscore"}, dataset=train)["dataset"]
    with pytest.raises(StepError, match="Normalize data\\), add 'target' to its exclude"):
        run("ml.train_model@1", {"label": "target"}, model=learner, dataset=scaled)
    texts = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "c"]})
    with pytest.raises(
        StepError, match="'y' \\(str\\) is not numeric; Linear regression predicts numbers"
    ):
        run(
            "ml.train_model@1",
            {"label": "y"},
            model=run("ml.linear_regression@1")["model"],
            dataset=texts,
        )
    with pytest.raises(
        StepError, match="K-means clustering is for clustering; use Train clustering model"
    ):
        run(
            "ml.train_model@1",
            {"label": "target"},
            model=run("ml.kmeans@1")["model"],
            dataset=train,
        )
    with pytest.raises(StepError, match="not trained yet; connect it through Train model"):
        run("ml.score_model@1", model=learner, dataset=train)
    with pytest.raises(StepError, match="hidden_layers: '10,x' is not"):
        run("ml.neural_network_classifier@1", {"hidden_layers": "10,x"})


def test_scoring_needs_the_training_columns(run, cancer) -> None:
    train, test = cancer
    model, _ = train_and_score(run, "ml.logistic_regression@1", train, test)
    with pytest.raises(StepError, match="trained on columns 'mean radius'"):
        run("ml.score_model@1", model=model, dataset=test.drop(columns="mean radius"))
    with pytest.raises(StepError, match="scored: this table has no scores"):
        run("ml.evaluate_model@1", scored=test)


def test_boosted_trees_accept_missing_values(run, cancer) -> None:
    train, test = cancer
    holes = train.copy()
    holes.loc[:50, "mean radius"] = None
    _, scored = train_and_score(run, "ml.boosted_tree_classifier@1", holes, test)
    assert scored["Scored Labels"].notna().all()


def test_cross_validate_equals_scikit_learn(run, cancer) -> None:
    train, _ = cancer
    out = run(
        "ml.cross_validate@1",
        {"label": "target", "folds": 4, "seed": 3},
        model=run("ml.logistic_regression@1")["model"],
        dataset=train,
    )
    expected = cross_val_score(
        LogisticRegression(max_iter=1000),
        train.drop(columns="target"),
        train["target"],
        cv=StratifiedKFold(4, shuffle=True, random_state=3),
    )
    folds = [f["metrics"]["accuracy"] for f in out["metrics"]["folds"]]
    np.testing.assert_allclose(folds, expected)
    assert out["metrics"]["metrics"]["accuracy"] == pytest.approx(expected.mean())
    assert sorted(out["scored"]["Fold"].unique()) == [0, 1, 2, 3] and len(out["scored"]) == len(
        train
    )


def test_tune_grid_search_equals_scikit_learn(run, cancer) -> None:
    train, _ = cancer
    out = run(
        "ml.tune_hyperparameters@1",
        {
            "label": "target",
            "space": '{"C": [0.01, 0.1, 1.0]}',
            "metric": "f1",
            "folds": 3,
            "seed": 0,
        },
        model=run("ml.logistic_regression@1")["model"],
        dataset=train,
    )
    search = GridSearchCV(
        LogisticRegression(max_iter=1000),
        {"C": [0.01, 0.1, 1.0]},
        scoring="f1",
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    ).fit(train.drop(columns="target"), train["target"])
    assert out["model"].hyperparameters["C"] == search.best_params_["C"]
    assert out["results"]["mean f1"].iloc[0] == pytest.approx(search.best_score_)
    assert len(out["results"]) == 3 and out["model"].label == "target"


def test_tune_random_search_and_errors(run, cancer) -> None:
    train, _ = cancer
    forest = run("ml.decision_forest_classifier@1", {"n_estimators": 10})["model"]
    out = run(
        "ml.tune_hyperparameters@1",
        {
            "label": "target",
            "method": "random",
            "iterations": 2,
            "space": '{"max_depth": [2, 4, null]}',
        },
        model=forest,
        dataset=train,
    )
    assert len(out["results"]) == 2
    for space, message in [
        ("{C: 1}", "space: not valid JSON"),
        ('{"gamma": [1]}', "has no hyperparameter 'gamma'"),
        ('{"max_depth": 3}', "must map to a non-empty list"),
    ]:
        with pytest.raises(StepError, match=message):
            run(
                "ml.tune_hyperparameters@1",
                {"label": "target", "space": space},
                model=forest,
                dataset=train,
            )
    with pytest.raises(StepError, match="metric: 'rmse' is a regression metric"):
        run(
            "ml.tune_hyperparameters@1",
            {"label": "target", "metric": "rmse"},
            model=forest,
            dataset=train,
        )


def test_permutation_importance_equals_scikit_learn(run, cancer) -> None:
    train, test = cancer
    model, _ = train_and_score(run, "ml.decision_forest_classifier@1", train, test, n_estimators=20)
    out = run("ml.permutation_importance@1", {"repeats": 3, "seed": 1}, model=model, dataset=test)[
        "dataset"
    ]
    direct = permutation_importance(
        model.estimator,
        test[model.features],
        test["target"],
        scoring="accuracy",
        n_repeats=3,
        random_state=1,
    )
    by_feature = dict(zip(model.features, direct.importances_mean, strict=True))
    assert out["Importance"].is_monotonic_decreasing
    for feature, importance in zip(out["Feature"], out["Importance"], strict=True):
        assert importance == pytest.approx(by_feature[feature])


def test_clustering_equals_kmeans(run) -> None:
    iris = load_sample("iris")
    trained = run(
        "ml.train_clustering_model@1",
        model=run("ml.kmeans@1", {"n_clusters": 3, "seed": 4})["model"],
        dataset=iris,
    )
    features = list(iris.columns[:4])
    assert trained["model"].features == features  # the text target is not a numeric feature
    direct = KMeans(3, random_state=4, n_init=10).fit(iris[features])
    assert trained["dataset"]["Assignments"].tolist() == direct.labels_.tolist()
    assigned = run("ml.assign_clusters@1", model=trained["model"], dataset=iris)["dataset"]
    assert "DistancesToClusterCenter no.2" in assigned.columns
    result = run("ml.evaluate_model@1", scored=assigned)["metrics"]
    assert result["task"] == "clustering"
    assert result["metrics"]["silhouette"] == pytest.approx(
        metrics.silhouette_score(iris[features], direct.labels_)
    )
    with pytest.raises(StepError, match="use Score model"):
        learner = run("ml.linear_regression@1")["model"]
        model = run(
            "ml.train_model@1", {"label": "target"}, model=learner, dataset=load_sample("diabetes")
        )["model"]
        run("ml.assign_clusters@1", model=model, dataset=iris)
