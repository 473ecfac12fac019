"""Parity: for each learner, a compiled scorer gives the test rows the scores Score model gave in
the training run — bit-identical with scikit-learn, within the written tolerance with ONNX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import LatentDirichletAllocation
from sklearn.feature_extraction.text import CountVectorizer

from designer.modules.fitted import BinTransform, PcaTransform, TopicTransform
from designer.modules.portable import ABS_TOLERANCE, REL_TOLERANCE
from designer.serving.kernel import Replay
from designer.serving.onnx_export import NoOnnxModel, onnx_download
from designer.serving.scorer import _frame_records
from tests.support.graphs import graph, node
from tests.unit.serving.harness import train, training_document

NORMALIZE, PCA, BINS = "transform.normalize", "transform.pca", "transform.group_into_bins"
CLIP = "transform.clip"
SELECT = "ml.select_features"
FIT_PARAMS = {SELECT: {"label": "target", "count": 10}}  # else the label is excluded
CASES = {
    # learner, params, data, a transform fitted before it, the runtime chosen with ONNX on (one
    # more case below)
    "logistic_regression": ("ml.logistic_regression", {}, "breast_cancer", NORMALIZE, "onnx"),
    "logistic_multiclass": ("ml.logistic_regression", {}, "wine", NORMALIZE, "onnx"),
    "forest_classifier": (
        "ml.decision_forest_classifier",
        {"n_estimators": 30},
        "wine",
        None,
        "onnx",
    ),
    "boosted_classifier": (
        "ml.boosted_tree_classifier",
        {"max_iter": 20},
        "breast_cancer",
        None,
        "sklearn",
    ),
    "mlp_classifier": (
        "ml.neural_network_classifier",
        {"hidden_layers": "16", "max_iter": 300},
        "breast_cancer",
        NORMALIZE,
        "onnx",
    ),
    "pca_logistic_regression": ("ml.logistic_regression", {}, "breast_cancer", PCA, "onnx"),
    "pca_forest_regressor": ("ml.decision_forest_regressor", {}, "diabetes", PCA, "onnx"),
    "bins_forest_classifier": (
        "ml.decision_forest_classifier",
        {"n_estimators": 30},
        "wine",
        BINS,
        "onnx",
    ),
    "clip_logistic_regression": ("ml.logistic_regression", {}, "wine", CLIP, "onnx"),
    "selected_forest_classifier": (
        "ml.decision_forest_classifier",
        {"n_estimators": 30},
        "breast_cancer",
        SELECT,
        "onnx",
    ),
    "svm_classifier": ("ml.svm_classifier", {}, "breast_cancer", NORMALIZE, "onnx"),
    "svm_regressor": ("ml.svm_regressor", {"C": 100.0}, "diabetes", NORMALIZE, "onnx"),
    "knn_classifier": ("ml.knn_classifier", {}, "wine", NORMALIZE, "onnx"),
    # a training row's own distance is 0: scikit-learn takes its value, ONNX divides by 0
    "knn_regressor": (
        "ml.knn_regressor",
        {"weights": "distance"},
        "diabetes",
        NORMALIZE,
        "sklearn",
    ),
    "naive_bayes": ("ml.naive_bayes", {}, "wine", None, "onnx"),
    "tree_classifier": ("ml.decision_tree_classifier", {"max_depth": 4}, "wine", None, "onnx"),
    "tree_regressor": ("ml.decision_tree_regressor", {"seed": 2}, "diabetes", None, "onnx"),
    "linear_regression": ("ml.linear_regression", {}, "diabetes", None, "onnx"),
    "poisson_regression": ("ml.poisson_regression", {}, "diabetes", NORMALIZE, "onnx"),
    "quantile_regression": (
        "ml.quantile_regression",
        {"quantile": 0.8, "max_iter": 20},
        "diabetes",
        None,
        "sklearn",
    ),
    "ridge_regression": ("ml.linear_regression", {"l2": 1.0}, "diabetes", NORMALIZE, "onnx"),
    "forest_regressor": (
        "ml.decision_forest_regressor",
        {"n_estimators": 30},
        "diabetes",
        None,
        "onnx",
    ),
    "boosted_regressor": (
        "ml.boosted_tree_regressor",
        {"max_iter": 20},
        "diabetes",
        None,
        "sklearn",
    ),
    "mlp_regressor": (
        "ml.neural_network_regressor",
        {"hidden_layers": "16", "max_iter": 300},
        "diabetes",
        NORMALIZE,
        "onnx",
    ),
}


def test_missing_values_filled_and_text_features_score_like_the_run(tmp_path: Path) -> None:
    """Loan applications: missing values in text and number columns filled with the training
    mode, text features one-hot encoded inside the model; ONNX takes one input per column."""
    document = training_document(
        "ml.logistic_regression", {"max_iter": 3000}, "loan_applications", "approved", clean="mode"
    )
    trained = train(document, tmp_path, label="approved")
    scorer = trained.scorer()
    assert scorer.runtime == "onnx", scorer.runtime_reason
    nullable = {c.name for c in scorer.schema.columns if c.nullable}
    assert nullable == {"employment", "annual_income", "credit_score"}
    rows = trained.test_rows().to_dict(orient="records")
    rows[0]["annual_income"] = None  # the fill applies to requests too
    expected_row = trained.scorer(onnx=False).score([rows[0]])[0]
    got = scorer.score(rows)
    assert got[0]["Scored Labels"] == expected_row["Scored Labels"]
    expected = trained.scored()
    assert [r["Scored Labels"] for r in got[1:]] == expected["Scored Labels"].tolist()[1:]
    bound = ABS_TOLERANCE + REL_TOLERANCE
    for r, e in zip(got[1:], expected["Scored Probabilities"].tolist()[1:], strict=True):
        assert abs(r["Scored Probabilities"] - e) <= bound


def test_indicator_values_are_replayed_in_the_kernel_as_in_the_run(tmp_path: Path) -> None:
    """Loan applications: gaps filled, text columns turned into 0/1 indicator columns (a
    category the training rows never had gives 0 everywhere), then logistic regression."""
    document = training_document(
        "ml.logistic_regression",
        {"max_iter": 3000},
        "loan_applications",
        "approved",
        fit="transform.one_hot",
        fit_params={"exclude": ["approved"]},
        clean="mode",
    )
    trained = train(document, tmp_path, label="approved")
    scorer = trained.scorer()
    assert scorer.runtime == "onnx", scorer.runtime_reason
    replayed = [type(step.fitted).__name__ for step in scorer.kernel.replayed]
    assert replayed == ["CleanTransform", "OneHotTransform"]
    rows = trained.test_rows().to_dict(orient="records")
    exact = trained.scorer(onnx=False)
    assert exact.kernel is not None and exact.runtime == "sklearn", exact.runtime_reason
    expected = trained.scored()
    got = exact.score(rows)
    for column in ("Scored Labels", "Scored Probabilities"):
        assert [r[column] for r in got] == expected[column].tolist(), column
    unseen = {**rows[0], "home_ownership": "houseboat"}
    assert exact.score([unseen])[0]["Scored Labels"] in ("yes", "no")


def scored_columns(table: Any) -> list[str]:
    return [c for c in table.columns if str(c).startswith(("Scored ", "Assignments", "Distances"))]


@pytest.mark.parametrize("case", sorted(CASES))
def test_scorer_matches_score_model(case: str, tmp_path: Path) -> None:
    learner, params, data, fit, expected_runtime = CASES[case]
    document = training_document(learner, params, data, fit=fit, fit_params=FIT_PARAMS.get(fit))
    trained = train(document, tmp_path)
    rows = trained.test_rows().to_dict(orient="records")
    expected = trained.scored()
    columns = scored_columns(expected)

    exact = trained.scorer(onnx=False)
    assert exact.runtime == "sklearn", exact.runtime_reason
    got = exact.score(rows)
    assert [list(r) for r in got] == [columns] * len(rows)
    for column in columns:
        assert [r[column] for r in got] == expected[column].tolist(), column

    fast = trained.scorer()
    assert fast.runtime == expected_runtime, fast.runtime_reason
    got = fast.score(rows)
    for column in columns:
        values = np.asarray([r[column] for r in got])
        reference = expected[column].to_numpy()
        if reference.dtype.kind not in "f":
            assert values.tolist() == reference.tolist(), column
        else:
            bound = ABS_TOLERANCE + REL_TOLERANCE * np.abs(reference)
            assert np.all(np.abs(values.astype(float) - reference) <= bound), column
    if fast.runtime == "onnx":
        assert fast.max_difference is not None
        assert (
            f"on {len(trained.run.values['data']['dataset'])} training rows" in fast.runtime_reason
        )
    else:
        assert "no ONNX conversion passed its check" in fast.runtime_reason


def test_clustering_scores_through_the_graph_path(tmp_path: Path) -> None:
    document = training_document("ml.kmeans", {"n_clusters": 3}, "iris", task="clustering")
    trained = train(document, tmp_path, label="")
    scorer = trained.scorer()
    assert scorer.runtime == "graph"
    assert "has no fused form" in scorer.runtime_reason
    rows = trained.test_rows().to_dict(orient="records")
    expected = trained.scored()
    got = scorer.score(rows)
    for column in scored_columns(expected):
        assert [r[column] for r in got] == expected[column].tolist(), column


@pytest.mark.parametrize(
    ("learner", "runtime"),
    [
        ("ml.isolation_forest", "onnx"),
        ("ml.one_class_svm", "sklearn"),
        ("ml.pca_anomaly_detection", "sklearn"),
        ("ml.local_outlier_factor", "onnx"),
    ],
)
def test_an_anomaly_detector_scores_in_the_kernel_as_in_the_run(
    learner: str, runtime: str, tmp_path: Path
) -> None:
    """Its flags and anomaly scores: bit-identical with scikit-learn, and the same flags and
    scores within tolerance with ONNX (the isolation forest's and the local outlier factor's;
    the one-class SVM's float32 decision function strays beyond it, and onnxruntime has no
    float64 kernel for it; the PCA detector is this package's class, which skl2onnx lacks)."""
    params = {"seed": 3} if learner == "ml.isolation_forest" else {}
    document = training_document(
        learner, params, "breast_cancer", fit=NORMALIZE, task="anomaly_detection"
    )
    trained = train(document, tmp_path)
    expected = trained.scored()
    assert expected["Scored Labels"].isin([0, 1]).all() and expected["Scored Labels"].any()
    rows = trained.test_rows().to_dict(orient="records")
    exact = trained.scorer(onnx=False).score(rows)
    for column in ("Scored Labels", "Anomaly Score"):
        assert [r[column] for r in exact] == expected[column].tolist(), column
    fast = trained.scorer()
    assert fast.runtime == runtime, fast.runtime_reason
    got = fast.score(rows)
    assert [r["Scored Labels"] for r in got] == expected["Scored Labels"].tolist()
    reference = expected["Anomaly Score"].to_numpy()
    scores = np.asarray([r["Anomaly Score"] for r in got])
    assert np.all(np.abs(scores - reference) <= ABS_TOLERANCE + REL_TOLERANCE * np.abs(reference))
    if learner == "ml.pca_anomaly_detection":
        assert "PCA-based anomaly detection is this package's estimator" in fast.runtime_reason


@pytest.mark.parametrize(
    ("wrapper", "data", "runtime"),
    [
        ("ml.one_vs_all", "wine", "onnx"),
        ("ml.one_vs_one", "digits", "onnx"),
        # skl2onnx's one-vs-one graph types text classes' labels as numbers: onnxruntime refuses
        ("ml.one_vs_one", "wine", "sklearn"),
    ],
)
def test_a_multiclass_wrapper_scores_in_the_kernel_as_in_the_run(
    wrapper: str, data: str, runtime: str, tmp_path: Path
) -> None:
    """Bit-identical with scikit-learn; with ONNX the same labels (one-vs-one's alone: it has
    no probabilities, and its ONNX file's second output is its votes)."""
    fit = NORMALIZE if data == "wine" else None
    document = training_document("ml.logistic_regression", {}, data, fit=fit, wrapper=wrapper)
    trained = train(document, tmp_path)
    rows = trained.test_rows().to_dict(orient="records")
    expected = trained.scored()
    columns = scored_columns(expected)
    assert (columns == ["Scored Labels"]) == (wrapper == "ml.one_vs_one")
    exact = trained.scorer(onnx=False).score(rows)
    for column in columns:
        assert [r[column] for r in exact] == expected[column].tolist(), column
    fast = trained.scorer()
    assert fast.runtime == runtime, fast.runtime_reason
    got = fast.score(rows)
    assert [list(r) for r in got] == [columns] * len(rows)
    assert [r["Scored Labels"] for r in got] == expected["Scored Labels"].tolist()


def test_a_projection_leaves_rows_with_missing_values_to_the_graph_path() -> None:
    projection = PcaTransform(["a", "b"], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0], [[0.6, 0.8]], ["PC1"])
    replay = Replay.of(projection)
    given = {"a": np.array([1.0, 2.0]), "b": np.array([2.0, 1.0]), "id": np.array([7, 8])}
    replayed = replay.apply(given)
    assert replayed is not None and list(replayed) == ["id", "PC1"]
    assert (
        replayed["PC1"].tolist()
        == projection.project(np.array([[1.0, 2.0], [2.0, 1.0]]))[:, 0].tolist()
    )
    assert replay.apply({**given, "a": np.array([1.0, np.nan])}) is None


def test_bins_are_numbered_as_fitted_and_missing_values_go_to_the_graph_path() -> None:
    bins = Replay.of(BinTransform({"age": [18.0, 30.0, 65.0, 90.0]}, append=True))
    replayed = bins.apply({"age": np.array([5.0, 30.0, 70.0, 99.0])})
    assert replayed is not None and replayed["age_bin"].tolist() == [0, 1, 2, 2]
    assert bins.apply({"age": np.array([5.0, np.nan])}) is None


def test_topic_features_score_in_the_kernel_as_in_the_run(tmp_path: Path) -> None:
    """Loan applications: a learner trained on the loan purposes' topics (Latent Dirichlet
    Allocation fitted on the training rows, applied to the test rows) scores the test rows in
    the fused kernel bit-identically, row by row as in a batch, and through the graph path."""
    document = training_document(
        "ml.boosted_tree_classifier",
        {"max_iter": 20},
        "loan_applications",
        "approved",
        fit="transform.lda",
        fit_params={"column": "loan_purpose", "topics": 3},
    )
    trained = train(document, tmp_path, label="approved")
    scorer = trained.scorer(onnx=False)
    assert scorer.runtime == "sklearn", scorer.runtime_reason
    assert scorer.kernel is not None
    assert [type(r.fitted) for r in scorer.kernel.replayed] == [TopicTransform]
    rows = trained.test_rows().to_dict(orient="records")
    expected = trained.scored()
    got = scorer.score(rows)
    for column in scored_columns(expected):
        assert [r[column] for r in got] == expected[column].tolist(), column
    assert [scorer.score([row])[0] for row in rows[:5]] == got[:5]
    graph = trained.scorer(onnx=False)
    graph.kernel = None
    assert graph.score(rows) == got


def test_topics_of_missing_text_go_to_the_graph_path() -> None:
    texts = ["cheap car loan", "home improvement loan", "new car"]
    vectorizer = CountVectorizer()
    lda = LatentDirichletAllocation(n_components=2, random_state=0, n_jobs=1)
    lda.fit(vectorizer.fit_transform(texts))
    replay = Replay.of(TopicTransform("purpose", vectorizer, lda))
    replayed = replay.apply({"purpose": np.array(["car loan", "boat"], dtype=object)})
    assert replayed is not None and list(replayed) == [
        "purpose",
        "purpose_topic_1",
        "purpose_topic_2",
    ]
    expected = lda.transform(vectorizer.transform(["car loan", "boat"]))
    np.testing.assert_array_equal(
        np.column_stack([replayed["purpose_topic_1"], replayed["purpose_topic_2"]]), expected
    )
    assert replay.apply({"purpose": np.array(["car loan", None], dtype=object)}) is None


def recommender_document(score_params: dict[str, Any]) -> dict[str, Any]:
    """Restaurant ratings → split → Train SVD recommender → Score SVD recommender (test rows)."""
    nodes = [
        ("data", "data.sample_dataset@1", {"name": "restaurant_ratings"}),
        ("split", "transform.split_rows@1", {"fraction": 0.2, "seed": 1}),
        ("train", "ml.train_svd_recommender@1", {"factors": 10, "seed": 2}),
        ("score", "ml.score_svd_recommender@1", score_params),
    ]
    wires = [
        ("data.dataset", "split.dataset"),
        ("split.train", "train.dataset"),
        ("train.recommender", "score.recommender"),
        ("split.test", "score.dataset"),
    ]
    return graph([node(i, m, **p) for i, m, p in nodes], wires)


@pytest.mark.parametrize(
    ("params", "request_columns"),
    [
        ({}, ["user_id", "restaurant"]),
        ({"mode": "item_recommendation", "count": 3}, ["user_id"]),
        (
            {"mode": "item_recommendation", "candidates": "rated", "count": 3},
            ["user_id", "restaurant"],
        ),
    ],
)
def test_a_recommender_scores_on_the_graph_path_as_in_the_run(
    params: dict[str, Any], request_columns: list[str], tmp_path: Path
) -> None:
    """Score SVD recommender has no fused form (its scores are surprise's, per call): the
    scorer serves it module by module, names it as the reason, and offers no ONNX file."""
    trained = train(recommender_document(params), tmp_path, label="rating")
    frozen = {n["module"] for n in trained.inference["nodes"]}
    assert "ml.frozen_recommender@1" in frozen
    scorer = trained.scorer()
    assert scorer.runtime == "graph"
    assert "score (ml.score_svd_recommender) has no fused form" in scorer.runtime_reason
    assert [c.name for c in scorer.schema.columns] == request_columns
    with pytest.raises(NoOnnxModel) as refused:
        onnx_download(scorer)
    assert refused.value.code == "no_onnx_model"

    test = trained.run.values["split"]["test"]
    expected = trained.scored()
    got = scorer.score(test[request_columns].to_dict(orient="records"))
    if "mode" not in params:
        assert [r["Scored Rating"] for r in got] == expected["Scored Rating"].tolist()
    else:
        expected = expected.astype(object).where(expected.notna(), None)
        assert got == expected.to_dict(orient="records")


def test_integer_items_missing_from_a_short_list_answer_null() -> None:
    """A user with fewer candidates than N gets gaps in its Int64 item columns: JSON nulls."""
    table = pd.DataFrame({"User": [1, 2], "Recommended Item 1": pd.array([7, None], "Int64")})
    assert _frame_records(table) == [
        {"User": 1, "Recommended Item 1": 7},
        {"User": 2, "Recommended Item 1": None},
    ]
