"""Compare learners: every learner of a task cross-validated on the same folds, the best trained."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsRegressor

from designer.engine.artifacts import encode
from designer.engine.context import StepError
from designer.engine.held import load_input
from designer.engine.types import PortType
from designer.modules import compare
from designer.modules.data import load_sample
from designer.modules.models import TrainedModel
from designer.modules.schemas import LEADERBOARD_COLUMNS
from designer.modules.specs.ml import COMPARED_LEARNERS, LEARNERS
from designer.runs.preview import table_page
from designer.serving.derive import derive_inference_graph
from designer.serving.scorer import build_scorer
from tests.support.graphs import graph, node
from tests.unit.modules.harness import REGISTRY, run_document

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
COMPARE = "ml.compare_learners@1"


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    df = load_sample("breast_cancer")
    features = df.columns.drop("target")
    df[features] = (df[features] - df[features].mean()) / df[features].std()  # fast convergence
    return df.iloc[::2].reset_index(drop=True)


@pytest.fixture(scope="module")
def diabetes() -> pd.DataFrame:
    return load_sample("diabetes")


def by_name(board: pd.DataFrame) -> pd.DataFrame:
    return board.set_index("name")


def test_scores_equal_scikit_learns_cross_val_score_on_the_same_folds(run, cancer) -> None:
    board = run(
        COMPARE,
        {
            "label": "target",
            "learners": "logistic_regression, naive_bayes",
            "metric": "f1",
            "folds": 4,
            "seed": 3,
        },
        dataset=cancer,
    )["leaderboard"]
    X, y = cancer.drop(columns="target"), cancer["target"]
    folds = StratifiedKFold(4, shuffle=True, random_state=3)
    for name, estimator in (
        ("logistic_regression", LogisticRegression(max_iter=1000)),
        ("naive_bayes", GaussianNB()),
    ):
        expected = cross_val_score(estimator, X, y, cv=folds, scoring="f1")
        row = by_name(board).loc[name]
        assert row["mean"] == pytest.approx(expected.mean(), rel=1e-12)
        assert row["std"] == pytest.approx(expected.std(), rel=1e-12)
        assert row["metric"] == "f1" and pd.isna(row["note"]) and row["fit seconds"] >= 0
    assert board["mean"].is_monotonic_decreasing and board["rank"].tolist() == [1.0, 2.0]


def test_a_lower_is_better_metric_ranks_the_smallest_first(run, diabetes) -> None:
    board = run(
        COMPARE,
        {
            "label": "target",
            "learners": "knn_regressor,linear_regression",
            "metric": "mae",
            "folds": 3,
            "seed": 5,
        },
        dataset=diabetes,
    )["leaderboard"]
    X, y = diabetes.drop(columns="target"), diabetes["target"]
    folds = KFold(3, shuffle=True, random_state=5)
    expected = {
        name: -cross_val_score(est, X, y, cv=folds, scoring="neg_mean_absolute_error").mean()
        for name, est in (
            ("knn_regressor", KNeighborsRegressor()),
            ("linear_regression", LinearRegression()),
        )
    }
    assert by_name(board)["mean"].to_dict() == pytest.approx(expected, rel=1e-12)
    assert board["name"].tolist() == sorted(expected, key=expected.__getitem__)
    assert board["mean"].is_monotonic_increasing


def test_the_model_is_the_best_learner_fitted_on_every_row(run, cancer) -> None:
    out = run(
        COMPARE,
        {"label": "target", "learners": "naive_bayes,logistic_regression", "folds": 3},
        dataset=cancer,
    )
    board, model = out["leaderboard"], out["model"]
    assert board["name"].iloc[0] == "logistic_regression"  # better than naive Bayes here
    assert isinstance(model, TrainedModel) and model.learner == "Logistic regression"
    X, y = cancer.drop(columns="target"), cancer["target"]
    direct = LogisticRegression(max_iter=1000).fit(X, y)
    scored = run("ml.score_model@1", model=model, dataset=cancer)["dataset"]
    np.testing.assert_array_equal(scored["Scored Labels"], direct.predict(X))
    np.testing.assert_allclose(scored["Scored Probabilities"], direct.predict_proba(X)[:, 1])
    metrics = run("ml.evaluate_model@1", scored=scored)["metrics"]
    assert metrics["metrics"]["accuracy"] == pytest.approx(direct.score(X, y))
    importance = run("ml.permutation_importance@1", {"repeats": 2}, model=model, dataset=cancer)
    assert len(importance["dataset"]) == X.shape[1]


def test_a_failing_learner_is_listed_with_its_error_and_the_step_succeeds(run, diabetes) -> None:
    below_zero = diabetes.assign(target=diabetes["target"] - 200)  # Poisson needs counts
    out = run(
        COMPARE,
        {"label": "target", "learners": "poisson_regression, linear_regression", "folds": 3},
        dataset=below_zero,
    )
    board = out["leaderboard"]
    assert board["name"].tolist() == ["linear_regression", "poisson_regression"]
    failed = board.iloc[1]
    assert failed["note"].startswith("failed: label: 'target' has ")
    assert "negative values" in failed["note"] and "\n" not in failed["note"]
    assert pd.isna(failed["rank"]) and pd.isna(failed["mean"]) and board["rank"].iloc[0] == 1
    assert out["model"].learner == "Linear regression"
    assert any(line.startswith("poisson_regression: failed:") for line in run.logs)


def test_when_every_learner_fails_the_step_fails_naming_each(run, cancer) -> None:
    holes = cancer.copy()
    holes.loc[:20, "mean radius"] = None  # only the boosted trees take missing values
    params = {"label": "target", "learners": "naive_bayes,knn_classifier", "folds": 3}
    with pytest.raises(StepError, match="learners: no learner could be trained: naive_bayes: "):
        run(COMPARE, params, dataset=holes)
    params["learners"] += ",boosted_tree_classifier"
    board = run(COMPARE, params, dataset=holes)["leaderboard"]
    assert board["name"].iloc[0] == "boosted_tree_classifier"
    assert board["note"].iloc[1:].str.contains("have missing values").all()


def test_a_spent_time_budget_skips_the_learners_not_yet_tried(run, cancer, monkeypatch) -> None:
    clock = itertools.count(0.0, 30.0)  # each reading of the clock 30 s after the one before
    monkeypatch.setattr(compare, "monotonic", lambda: next(clock))
    params = {
        "label": "target",
        "learners": "naive_bayes,decision_tree_classifier,knn_classifier",
        "time_budget": 20,
        "folds": 3,
    }
    out = run(COMPARE, params, dataset=cancer)
    board = out["leaderboard"]
    assert board["name"].tolist() == ["naive_bayes", "decision_tree_classifier", "knn_classifier"]
    assert board["rank"].iloc[0] == 1 and board["rank"].iloc[1:].isna().all()
    note = "skipped: the time budget of 20 s was spent (30.0 s)"
    assert board["note"].iloc[1:].tolist() == [note, note]
    assert f"{note}; not tried: decision_tree_classifier, knn_classifier" in run.logs
    assert out["model"].learner == "Naive Bayes classifier"
    params["time_budget"] = 100  # 30 s a learner: all three tried
    assert run(COMPARE, params, dataset=cancer)["leaderboard"]["rank"].notna().all()


def test_the_same_seed_gives_the_same_leaderboard_and_model_bytes(run, cancer) -> None:
    params = {
        "label": "target",
        "learners": "decision_forest_classifier,decision_tree_classifier",
        "folds": 3,
        "seed": 11,
    }
    first, second = (run(COMPARE, params, dataset=cancer) for _ in range(2))
    measured = ["fit seconds"]  # timings: a measurement, not a result
    pd.testing.assert_frame_equal(
        first["leaderboard"].drop(columns=measured), second["leaderboard"].drop(columns=measured)
    )
    model_bytes = [encode(out["model"], PortType.MODEL).data for out in (first, second)]
    assert model_bytes[0] == model_bytes[1]
    assert first["model"].hyperparameters["random_state"] == 11  # the learners take the seed
    other = run(COMPARE, {**params, "seed": 12}, dataset=cancer)
    assert other["leaderboard"]["mean"].tolist() != first["leaderboard"]["mean"].tolist()


def test_the_task_follows_the_label_unless_set(run, cancer) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    labels = {
        "text": (np.where(X["a"] > 0, "up", "down"), "classification"),
        "whole": ((X["a"] > 0).astype("int64"), "classification"),
        "many": ((X["a"] * 100).round().astype("int64"), "regression"),
        "real": (X["a"] * 2 + X["b"], "regression"),
    }
    for name, (values, task) in labels.items():
        out = run(COMPARE, {"label": "y", "folds": 2}, dataset=X.assign(y=values))
        assert out["model"].task == task, name
        assert set(out["leaderboard"]["name"]) == set(COMPARED_LEARNERS[task]), name
        assert out["leaderboard"]["metric"].iloc[0] == compare.AUTO_METRICS[task]
        assert any(line.startswith(f"task: {task}, as the label 'y' holds") for line in run.logs)
    params = {"label": "target", "task": "regression", "learners": "linear_regression"}
    assert run(COMPARE, params, dataset=cancer)["model"].task == "regression"


def test_errors_name_the_param(run, cancer) -> None:
    for params, message in [
        (
            {"learners": "naive_bayes, forest"},
            "learners: no learner is named 'forest'; the "
            "classification learners are naive_bayes, logistic_regression",
        ),
        ({"learners": "svm_regressor"}, "learners: 'svm_regressor' is a regression learner"),
        ({"label": "nope"}, "label: column 'nope' not found"),
        ({"label": ""}, "label: choose the label column"),
        ({"metric": "rmse"}, "metric: 'rmse' is a regression metric"),
        (
            {"task": "regression", "learners": "svm_regressor", "metric": "auc"},
            "metric: 'auc' is a classification metric",
        ),
    ]:
        params = {"label": "target", "learners": "naive_bayes", **params}
        with pytest.raises(StepError, match=message) as caught:
            run(COMPARE, params, dataset=cancer)
        assert caught.value.param == message.partition(":")[0]
    few = pd.concat([cancer[cancer["target"] == k].head(2) for k in (0, 1)])
    with pytest.raises(StepError, match="folds: 5 folds need at least 5 rows, got 4"):
        run(COMPARE, {"label": "target"}, dataset=few)
    text = cancer.assign(target=np.where(cancer["target"] == 1, "benign", "malignant"))
    with pytest.raises(
        StepError, match=r"label: 'target' \(str\) is not numeric; a regression learner"
    ):
        run(COMPARE, {"label": "target", "task": "regression"}, dataset=text)


def test_every_classifier_and_regressor_is_compared_but_the_quantile_regression(run) -> None:
    tasks: dict[str, set[str]] = {}
    for spec in LEARNERS:
        model = run(f"{spec.name}@1")["model"]
        tasks.setdefault(model.task, set()).add(spec.name.removeprefix("ml."))
    assert tasks["classification"] == set(COMPARED_LEARNERS["classification"])
    assert tasks["regression"] - {"quantile_regression"} == set(COMPARED_LEARNERS["regression"])


def test_the_leaderboard_previews_as_a_table_and_the_model_scores_in_real_time(
    tmp_path: Path,
) -> None:
    document = graph(
        [
            node("data", "data.sample_dataset@1", name="wine"),
            node("split", "transform.split_rows@1", fraction=0.25, seed=1),
            node("best", COMPARE, label="target", learners="naive_bayes,decision_tree_classifier"),
            node("score", "ml.score_model@1"),
        ],
        [
            ("data.dataset", "split.dataset"),
            ("split.train", "best.dataset"),
            ("best.model", "score.model"),
            ("split.test", "score.dataset"),
        ],
    )
    done = run_document(document, tmp_path)
    record = done.records["best"]["leaderboard"]
    assert record["kind"] == "parquet"
    page = table_page(done.store.get(record["digest"]), 0, 10, record["summary"])
    assert page["columns"] == [c["name"] for c in LEADERBOARD_COLUMNS]
    assert [row[0] for row in page["rows"]] == [1, 2] and page["rows"][0][-1] is None
    inference = derive_inference_graph(document, done.records, REGISTRY, run_id=1)
    store = done.store
    scorer = build_scorer(inference, REGISTRY, lambda d, k: load_input(store, d, k), onnx=False)
    rows = done.values["split"]["test"].drop(columns="target").to_dict(orient="records")
    expected = done.values["score"]["dataset"]["Scored Labels"].tolist()
    assert [r["Scored Labels"] for r in scorer.score(rows)] == expected
