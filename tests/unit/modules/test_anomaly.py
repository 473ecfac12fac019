"""Anomaly detection: isolation forest, one-class SVM, PCA-based detection and local outlier
factor trained, scored and evaluated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

from designer.engine.context import StepError
from designer.modules.data import load_sample


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Breast cancer measurements standardized, split in two; target 0 marks a malignant one."""
    df = load_sample("breast_cancer")
    features = df.columns.drop("target")
    df[features] = (df[features] - df[features].mean()) / df[features].std()
    return df.iloc[::2].reset_index(drop=True), df.iloc[1::2].reset_index(drop=True)


def detector(run, learner: str, train: pd.DataFrame, learner_params=None, **params):
    untrained = run(learner, learner_params or {})["model"]
    return run("ml.train_anomaly_detection_model@1", params, model=untrained, dataset=train)


def test_isolation_forest_flags_and_scores_rows_as_scikit_learn(run, cancer) -> None:
    train, test = cancer
    trained = detector(
        run, "ml.isolation_forest@1", train, {"seed": 7, "contamination": 0.1}, label="target"
    )["model"]
    scored = run("ml.score_model@1", model=trained, dataset=test)["dataset"]

    features = [c for c in train.columns if c != "target"]
    reference = IsolationForest(contamination=0.1, random_state=7, n_jobs=1).fit(train[features])
    assert trained.features == features
    assert scored["Scored Labels"].tolist() == (reference.predict(test[features]) == -1).tolist()
    np.testing.assert_array_equal(scored["Anomaly Score"], -reference.score_samples(test[features]))
    assert list(scored.columns) == [*test.columns, "Scored Labels", "Anomaly Score"]


def test_one_class_svm_trained_on_the_normal_rows_only(run, cancer) -> None:
    train, test = cancer
    trained = detector(
        run,
        "ml.one_class_svm@1",
        train,
        {"nu": 0.1},
        label="target",
        anomaly_value="0",
        rows="normal",
    )["model"]
    scored = run("ml.score_model@1", model=trained, dataset=test)["dataset"]

    features = [c for c in train.columns if c != "target"]
    benign = train[train["target"] == 1]
    reference = OneClassSVM(nu=0.1).fit(benign[features])
    assert scored["Scored Labels"].tolist() == (reference.predict(test[features]) == -1).tolist()
    np.testing.assert_array_equal(scored["Anomaly Score"], -reference.score_samples(test[features]))
    assert trained.get_params()["anomaly_value"] == 0


def reconstruction_errors(
    fitted_on: pd.DataFrame, rows: pd.DataFrame, standardize: bool = True, **pca
) -> np.ndarray:
    """Each row's squared distance from its projection on the principal components of
    `fitted_on` (standardized or centred), computed with scikit-learn directly."""
    scaler = StandardScaler(with_std=standardize).fit(fitted_on)
    reduced = PCA(**pca).fit(scaler.transform(fitted_on))
    scaled = scaler.transform(rows)
    back = reduced.inverse_transform(reduced.transform(scaled))
    return np.asarray(((scaled - back) ** 2).sum(axis=1))


def test_pca_detection_scores_the_reconstruction_error(run, cancer) -> None:
    train, test = cancer
    trained = detector(
        run,
        "ml.pca_anomaly_detection@1",
        train,
        {"components": 5, "contamination": 0.1},
        label="target",
        anomaly_value="0",
        rows="normal",
    )["model"]
    scored = run("ml.score_model@1", model=trained, dataset=test)["dataset"]

    features = [c for c in train.columns if c != "target"]
    benign = train[train["target"] == 1][features]
    errors = reconstruction_errors(benign, test[features], n_components=5)
    np.testing.assert_array_equal(scored["Anomaly Score"], errors)
    # the threshold: a tenth of the training rows' errors lie beyond it
    threshold = np.percentile(reconstruction_errors(benign, benign, n_components=5), 90)
    assert scored["Scored Labels"].tolist() == (scored["Anomaly Score"] > threshold).tolist()
    assert list(scored.columns) == [*test.columns, "Scored Labels", "Anomaly Score"]
    own = scored["Scored Labels"].to_numpy()
    assert own[test["target"] == 0].mean() > 0.7 > 0.2 > own[test["target"] == 1].mean()


def test_pca_detection_keeps_a_share_of_the_variance_and_may_leave_the_scale(run, cancer) -> None:
    train, _ = cancer
    features = [c for c in train.columns if c != "target"]
    raw = train[features] * np.arange(1, len(features) + 1)  # columns in different units
    kept = detector(run, "ml.pca_anomaly_detection@1", train, {"variance": 0.8})["model"]
    assert (
        kept.estimator.pca_.n_components_
        == PCA(0.8).fit(StandardScaler().fit_transform(train.drop(columns="target"))).n_components_
    )
    unscaled = detector(
        run, "ml.pca_anomaly_detection@1", raw, {"components": 3, "standardize": False}
    )["model"]
    scored = run("ml.score_model@1", model=unscaled, dataset=raw)["dataset"]
    errors = reconstruction_errors(raw, raw, standardize=False, n_components=3)
    np.testing.assert_array_equal(scored["Anomaly Score"], errors)
    assert scored["Scored Labels"].mean() == pytest.approx(0.05, abs=1 / len(raw))
    with pytest.raises(StepError, match="PCA-based anomaly detection cannot be trained") as e:
        detector(run, "ml.pca_anomaly_detection@1", train, {"components": 40})
    assert e.value.port == "dataset"


@pytest.mark.filterwarnings("ignore:X does not have valid feature names:UserWarning")  # sklearn's
def test_local_outlier_factor_flags_and_scores_rows_as_scikit_learn(run, cancer) -> None:
    train, test = cancer
    features = [c for c in train.columns if c != "target"]
    for params, reference in [
        ({}, LocalOutlierFactor(novelty=True)),
        (
            {"n_neighbors": 10, "metric": "manhattan", "contamination": 0.1},
            LocalOutlierFactor(n_neighbors=10, metric="manhattan", contamination=0.1, novelty=True),
        ),
    ]:
        trained = detector(run, "ml.local_outlier_factor@1", train, params, label="target")
        scored = run("ml.score_model@1", model=trained["model"], dataset=test)["dataset"]
        reference.fit(train[features])
        expected = (reference.predict(test[features]) == -1).tolist()
        assert scored["Scored Labels"].tolist() == expected
        np.testing.assert_array_equal(
            scored["Anomaly Score"], -reference.score_samples(test[features])
        )
    result = run("ml.evaluate_model@1", scored=scored)["metrics"]["results"][0]
    truth = (test["target"] == 1).to_numpy()  # anomaly_value 1 by default
    assert result["metrics"]["auc"] == metrics.roc_auc_score(truth, scored["Anomaly Score"])


def test_the_new_detectors_are_refused_by_the_supervised_trainers(run, cancer) -> None:
    train, _ = cancer
    params = {"label": "target"}
    for learner, name in [
        ("ml.pca_anomaly_detection@1", "PCA-based anomaly detection"),
        ("ml.local_outlier_factor@1", "Local outlier factor"),
    ]:
        model = run(learner)["model"]
        for trainer in ("ml.train_model@1", "ml.tune_hyperparameters@1", "ml.cross_validate@1"):
            with pytest.raises(StepError, match=f"{name} is for anomaly detection; use Train"):
                run(trainer, params, model=model, dataset=train)


def test_evaluate_compares_the_flags_with_the_label(run, cancer) -> None:
    train, test = cancer
    trained = detector(
        run, "ml.one_class_svm@1", train, label="target", anomaly_value="0", rows="normal"
    )["model"]
    scored = run("ml.score_model@1", model=trained, dataset=test)["dataset"]
    result = run("ml.evaluate_model@1", scored=scored)["metrics"]["results"][0]

    truth = (test["target"] == 0).to_numpy()
    flags = scored["Scored Labels"].to_numpy() == 1
    got = result["metrics"]
    assert result["task"] == "anomaly_detection" and result["label"] == "target"
    assert got["anomalies"] == int(flags.sum())
    assert got["precision"] == pytest.approx(metrics.precision_score(truth, flags), abs=0)
    assert got["recall"] == pytest.approx(metrics.recall_score(truth, flags), abs=0)
    assert got["f1"] == pytest.approx(metrics.f1_score(truth, flags), abs=0)
    assert got["auc"] == metrics.roc_auc_score(truth, scored["Anomaly Score"])
    assert got["auc"] > 0.9  # malignant tumours lie outside the benign ones' boundary
    assert result["confusion_matrix"] == {
        "labels": ["normal", "anomaly"],
        "matrix": metrics.confusion_matrix(truth, flags).tolist(),
    }
    assert set(result["curves"]) == {"anomaly"}


def test_rows_without_a_label_get_their_counts(run, cancer) -> None:
    train, test = cancer
    unlabelled = train.drop(columns=["target"])
    trained = detector(run, "ml.isolation_forest@1", unlabelled)["model"]
    assert trained.label is None
    scored = run("ml.score_model@1", model=trained, dataset=test.drop(columns=["target"]))
    result = run("ml.evaluate_model@1", scored=scored["dataset"])["metrics"]["results"][0]
    flagged = int(scored["dataset"]["Scored Labels"].sum())
    assert result["metrics"] == {"anomalies": flagged, "anomaly_share": flagged / len(test)}
    assert "confusion_matrix" not in result


def test_text_features_are_encoded_and_an_unseen_category_still_scores(run) -> None:
    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {"amount": rng.normal(size=200), "shop": rng.choice(["a", "b", "c"], size=200)}
    )
    trained = detector(run, "ml.isolation_forest@1", train, {"seed": 0})["model"]
    test = pd.DataFrame({"amount": [0.1, 9.0], "shop": ["a", "never seen"]})
    scored = run("ml.score_model@1", model=trained, dataset=test)["dataset"]
    assert scored["Anomaly Score"][1] > scored["Anomaly Score"][0]
    assert scored["Scored Labels"].tolist()[1] == 1


def test_mistakes_are_named(run, cancer) -> None:
    train, _ = cancer
    with pytest.raises(StepError, match="'yes' is not a value of the label column 'target'") as e:
        detector(run, "ml.isolation_forest@1", train, label="target", anomaly_value="yes")
    assert e.value.param == "anomaly_value"
    with pytest.raises(StepError, match="normal rows only needs the label column") as e:
        detector(run, "ml.isolation_forest@1", train.drop(columns=["target"]), rows="normal")
    assert e.value.param == "rows"
    with pytest.raises(StepError, match="Isolation forest is for anomaly detection; use Train"):
        run(
            "ml.train_model@1",
            {"label": "target"},
            model=run("ml.isolation_forest@1")["model"],
            dataset=train,
        )
    with pytest.raises(StepError, match="Logistic regression is for classification; use Train"):
        detector(run, "ml.logistic_regression@1", train)
    with pytest.raises(StepError, match="'a' have missing values") as e:
        detector(run, "ml.isolation_forest@1", pd.DataFrame({"a": [1.0, None, 3.0]}))
    assert e.value.port == "dataset"
    trained = detector(run, "ml.isolation_forest@1", train, label="target")["model"]
    with pytest.raises(StepError, match="needs a trained classifier or regressor"):
        run("ml.permutation_importance@1", model=trained, dataset=train)
