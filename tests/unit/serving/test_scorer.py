"""Inference graphs from a run and the scorers compiled from them: shape, runtimes, refusals."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pytest

from designer.serving.derive import DeriveError, derive_inference_graph
from designer.serving.kernel import Replayable
from designer.serving.onnx_export import _STEPS, NoOnnxModel, onnx_download
from designer.serving.schema import InputError
from designer.serving.scorer import BuildError
from tests.unit.modules.harness import REGISTRY
from tests.unit.serving.harness import Trained, train, training_document

PASS_THROUGH = "def azureml_main(dataframe1, dataframe2=None):\n    return dataframe1\n"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    document = training_document(
        "ml.logistic_regression", {}, "breast_cancer", fit="transform.normalize"
    )
    return train(document, tmp_path_factory.mktemp("run"))


def modules(document: dict[str, Any]) -> dict[str, str]:
    return {n["id"]: n["module"] for n in document["nodes"]}


def test_the_inference_graph_freezes_the_fits_and_serves_the_scoring_path(trained: Trained) -> None:
    graph = trained.inference
    assert modules(graph) == {
        "data_dataset_frozen": "data.frozen_dataset@1",
        "request_columns": "transform.select_columns@1",
        "web_service_input": "output.web_service_input@1",
        "normalize_transform_frozen": "transform.frozen_transform@1",
        "apply": "transform.apply_transform@1",
        "score": "ml.score_model@1",
        "train_model_frozen": "ml.frozen_model@1",
        "response_columns": "transform.select_columns@1",
        "web_service_output": "output.web_service_output@1",
    }
    frozen = {n["id"]: n["params"] for n in graph["nodes"] if "frozen" in n["module"]}
    assert frozen["train_model_frozen"] == {
        "run": 1,
        "step": "train",
        "port": "model",
        "digest": trained.run.records["train"]["model"]["digest"],
    }
    request = next(n for n in graph["nodes"] if n["id"] == "request_columns")
    assert request["params"] == {"columns": ["target"], "mode": "exclude"}


def before_the_split(
    document: dict[str, Any], node: str, module: str, params: dict[str, Any]
) -> None:
    """Put a step between the training document's data and its split."""
    document["nodes"].append(
        {"id": node, "module": module, "params": params, "position": {"x": 0, "y": 0}}
    )
    (edge,) = [e for e in document["edges"] if e["target"]["node"] == "split"]
    edge["target"]["node"] = node
    wire = {"node": node, "port": "dataset"}, {"node": "split", "port": "dataset"}
    document["edges"].append({"id": f"{node}-split", "source": wire[0], "target": wire[1]})


def test_smote_before_the_split_is_left_out_of_the_scoring_path(tmp_path: Path) -> None:
    document = training_document("ml.logistic_regression", {}, "breast_cancer")
    before_the_split(document, "smote", "transform.smote@1", {"label": "target", "seed": 0})
    trained = train(document, tmp_path)
    assert len(trained.run.values["smote"]["dataset"]) == 569 + 212
    assert "transform.smote@1" not in modules(trained.inference).values()
    rows = trained.test_rows().to_dict(orient="records")
    got = trained.scorer(onnx=False).score(rows)
    assert [r["Scored Labels"] for r in got] == trained.scored()["Scored Labels"].tolist()


def test_a_math_operation_on_the_scoring_path_runs_fused_per_call(tmp_path: Path) -> None:
    """In the kernel (the model through ONNX); a value outside the domain goes to the graph
    path, which names it."""
    document = training_document("ml.linear_regression", {}, "diabetes")
    params = {"columns": ["bmi"], "operation": "log1p", "mode": "replace"}
    before_the_split(document, "log", "transform.math@1", params)
    trained = train(document, tmp_path)
    assert modules(trained.inference)["log"] == "transform.math@1"
    exact = trained.scorer(onnx=False)
    assert exact.runtime == "sklearn", exact.runtime_reason
    scorer = trained.scorer()
    assert scorer.runtime == "onnx", scorer.runtime_reason
    with pytest.raises(NoOnnxModel, match="Apply math operation"):
        onnx_download(scorer)
    logged = trained.test_rows()  # bmi as the run's log step left it: a request sends it raw
    others = [c for c in logged.columns if c != "bmi"]
    raw = logged[others].merge(trained.run.values["data"]["dataset"], on=others, how="left")
    assert np.array_equal(np.log1p(raw["bmi"]), logged["bmi"])
    rows = raw[logged.columns].to_dict(orient="records")
    expected = trained.scored()["Scored Labels"].tolist()
    assert [r["Scored Labels"] for r in exact.score(rows)] == expected
    fast = np.array([r["Scored Labels"] for r in scorer.score(rows)])
    assert np.allclose(fast, expected, rtol=1e-5, atol=1e-5)
    rows[0]["bmi"] = -2.0
    with pytest.raises(InputError) as refused:
        scorer.score(rows[:1])
    assert refused.value.status == 422 and "log1p takes numbers above -1" in str(refused.value)


def test_text_is_cleaned_and_hashed_per_call_as_in_the_run(tmp_path: Path) -> None:
    """Both steps replayed in the kernel, bit-identical with the graph path."""
    document = training_document(
        "ml.boosted_tree_classifier", {"max_iter": 20}, "loan_applications", "approved"
    )
    clean = {"columns": ["employment", "loan_purpose"], "stem": True}
    before_the_split(document, "clean", "transform.preprocess_text@1", clean)
    before_the_split(document, "hash", "transform.feature_hashing@1", {"columns": ["loan_purpose"]})
    trained = train(document, tmp_path, label="approved")
    assert modules(trained.inference)["clean"] == "transform.preprocess_text@1"
    assert modules(trained.inference)["hash"] == "transform.feature_hashing@1"
    scorer = trained.scorer()
    assert scorer.runtime == "sklearn", scorer.runtime_reason
    replayed = [type(step.fitted).__name__ for step in scorer.kernel.replayed]
    assert replayed == ["TextPreprocessing", "Hashing"]
    ids = trained.test_rows()["applicant_id"]  # the rows as the run hashed them: a request
    loans = trained.run.values["data"]["dataset"]  # sends them raw
    raw = loans[loans["applicant_id"].isin(ids)].drop(columns="approved")
    rows = raw.set_index("applicant_id").loc[ids].reset_index().to_dict(orient="records")
    got = scorer.score(rows)
    expected = trained.scored()
    assert [r["Scored Labels"] for r in got] == expected["Scored Labels"].tolist()
    assert [r["Scored Probabilities"] for r in got] == expected["Scored Probabilities"].tolist()
    messy = {**rows[0], "employment": "  SELF--Employed!! ", "loan_purpose": "Home improvements"}
    tidy = {**rows[0], "employment": "self-employed", "loan_purpose": "home improvement"}
    assert scorer.score([messy]) == scorer.score([tidy])
    assert scorer.score([{**rows[0], "employment": None}])  # missing text stays missing


def test_text_features_are_replayed_in_the_kernel_as_in_the_run(tmp_path: Path) -> None:
    document = training_document(
        "ml.boosted_tree_classifier",
        {"max_iter": 20},
        "loan_applications",
        "approved",
        fit="transform.text_features",
        fit_params={"columns": ["loan_purpose", "employment"], "ngrams": 2},
    )
    trained = train(document, tmp_path, label="approved")
    assert "transform.text_features@1" not in modules(trained.inference).values()
    scorer = trained.scorer(onnx=False)
    assert scorer.runtime == "sklearn", scorer.runtime_reason
    rows = trained.test_rows().to_dict(orient="records")
    rows[0]["employment"] = None  # no n-grams, as in the graph path
    graph = trained.scorer(onnx=False)
    graph.kernel = None
    assert scorer.score(rows[:1]) == graph.score(rows[:1])
    got = scorer.score(rows[1:])
    expected = trained.scored()[1:]
    assert [r["Scored Probabilities"] for r in got] == expected["Scored Probabilities"].tolist()


def test_the_scorer_reports_its_runtime_schema_and_examples(trained: Trained) -> None:
    info = trained.scorer().info()
    assert info["runtime"] == "onnx"
    assert info["runtime_reason"].startswith("onnx: float64 inputs")
    columns = info["input_schema"]["columns"]
    assert len(columns) == 30 and "target" not in {c["name"] for c in columns}
    assert {c["type"] for c in columns} == {"number"}
    assert len(info["examples"]) == 3 and info["sandboxed_steps"] == []


def test_a_python_script_step_runs_in_the_sandbox_on_each_call(trained: Trained) -> None:
    graph = copy.deepcopy(trained.inference)
    graph["nodes"].append(
        {
            "id": "script",
            "module": "script.python@1",
            "params": {"code": PASS_THROUGH},
            "position": {"x": 0, "y": 0},
        }
    )
    for edge in graph["edges"]:
        if edge["source"]["node"] == "web_service_input":
            edge["source"] = {"node": "script", "port": "result1"}
    graph["edges"].append(
        {
            "id": "to_script",
            "source": {"node": "web_service_input", "port": "dataset"},
            "target": {"node": "script", "port": "dataset1"},
        }
    )
    scripted = Trained(trained.run, graph, trained.label).scorer()
    info = scripted.info()
    assert info["runtime"] == "graph" and info["sandboxed_steps"] == ["script"]
    assert "sandbox" in info["latency_note"]
    rows = trained.test_rows().head(5).to_dict(orient="records")
    assert scripted.score(rows) == trained.scorer(onnx=False).score(rows)


def test_columns_split_apart_and_added_back_score_per_call(trained: Trained) -> None:
    graph = copy.deepcopy(trained.inference)
    steps = {
        "means": ("transform.select_columns@1", {"pattern": "^mean"}),
        "others": ("transform.select_columns@1", {"pattern": "^mean", "mode": "exclude"}),
        "add": ("transform.add_columns@1", {}),
    }
    for node, (module, params) in steps.items():
        graph["nodes"].append(
            {"id": node, "module": module, "params": params, "position": {"x": 0, "y": 0}}
        )
    for edge in graph["edges"]:
        if edge["source"]["node"] == "web_service_input":
            edge["source"] = {"node": "add", "port": "dataset"}
    wires = [
        ("web_service_input", "dataset", "means", "dataset"),
        ("web_service_input", "dataset", "others", "dataset"),
        ("others", "dataset", "add", "left"),
        ("means", "dataset", "add", "right"),
    ]
    graph["edges"] += [
        {"id": f"w{n}", "source": {"node": s, "port": sp}, "target": {"node": t, "port": tp}}
        for n, (s, sp, t, tp) in enumerate(wires)
    ]
    added = Trained(trained.run, graph, trained.label).scorer()
    assert added.runtime == "graph"
    rows = trained.test_rows().head(5).to_dict(orient="records")
    assert added.score(rows) == trained.scorer(onnx=False).score(rows)


def test_steps_that_cannot_be_served_are_named(trained: Trained) -> None:
    graph = copy.deepcopy(trained.inference)
    graph["nodes"].append(
        {
            "id": "stray",
            "module": "ml.logistic_regression@1",
            "params": {},
            "position": {"x": 0, "y": 0},
        }
    )
    with pytest.raises(BuildError) as caught:
        Trained(trained.run, graph, trained.label).scorer()
    assert [(i["node"], i["code"]) for i in caught.value.issues] == [("stray", "not_servable")]

    graph = copy.deepcopy(trained.inference)
    batch = {"data_dataset_frozen", "request_columns"}
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] not in batch]
    graph["edges"] = [e for e in graph["edges"] if e["source"]["node"] not in batch]
    with pytest.raises(BuildError, match="no batch input"):
        Trained(trained.run, graph, trained.label).scorer()


def test_a_graph_with_several_scoring_nodes_needs_one_named(tmp_path: Path) -> None:
    document = training_document("ml.logistic_regression", {}, "breast_cancer")
    second = copy.deepcopy(next(n for n in document["nodes"] if n["id"] == "score"))
    second["id"] = "score2"
    document["nodes"].append(second)
    outputs: dict[str, Any] = {}
    with pytest.raises(DeriveError) as caught:
        derive_inference_graph(document, outputs, REGISTRY, run_id=1)
    assert "several scoring nodes (score, score2)" in str(caught.value)
    with pytest.raises(DeriveError, match="was not stored by run 1"):
        derive_inference_graph(document, outputs, REGISTRY, run_id=1, score_node="score")


def test_the_onnx_download_names_every_transform_the_kernel_replays(tmp_path: Path) -> None:
    """Rows projected on principal components before an ONNX model: the download is refused
    naming the step (it was a KeyError, an error 500), and so for every replayable kind."""
    document = training_document("ml.logistic_regression", {}, "breast_cancer", fit="transform.pca")
    scorer = train(document, tmp_path).scorer()
    assert scorer.runtime == "onnx", scorer.runtime_reason
    with pytest.raises(NoOnnxModel, match="Principal component analysis") as caught:
        onnx_download(scorer)
    assert caught.value.code == "onnx_model_only"
    assert {kind.__name__ for kind in get_args(Replayable)} <= set(_STEPS)


def test_an_isolation_forests_onnx_download_says_how_its_outputs_become_the_scores(
    tmp_path: Path,
) -> None:
    document = training_document(
        "ml.isolation_forest", {"seed": 2}, "breast_cancer", task="anomaly_detection"
    )
    trained = train(document, tmp_path)
    download = onnx_download(trained.scorer())
    labels, scores = download.manifest["outputs"]
    assert labels["response_column"] == "Scored Labels" and labels["values"] == {"-1": 1, "1": 0}
    assert scores["response_column"] == "Anomaly Score"
    # the file alone, through plain onnxruntime, gives the version's flags and scores
    import onnxruntime

    session = onnxruntime.InferenceSession(download.data, providers=["CPUExecutionProvider"])
    rows = trained.test_rows()
    matrix = rows[download.manifest["features"]].to_numpy(dtype="float32")
    got_labels, got_scores = session.run([labels["name"], scores["name"]], {"X": matrix})
    expected = trained.scored()
    flags = [labels["values"][str(int(v))] for v in got_labels.reshape(-1)]
    assert flags == expected["Scored Labels"].tolist()
    anomaly = -(got_scores.reshape(-1).astype("float64") + scores["offset"])
    np.testing.assert_allclose(anomaly, expected["Anomaly Score"], rtol=1e-5, atol=1e-5)


def test_the_onnx_download_is_refused_when_it_would_not_score_like_the_version(
    trained: Trained,
) -> None:
    with pytest.raises(NoOnnxModel, match="Normalize data") as replays:
        onnx_download(trained.scorer())
    assert replays.value.code == "onnx_model_only"
    with pytest.raises(NoOnnxModel, match="ONNX export is off") as fallback:
        onnx_download(trained.scorer(onnx=False))
    assert fallback.value.code == "no_onnx_model"


def test_a_one_vs_one_onnx_download_describes_its_labels_alone(tmp_path: Path) -> None:
    document = training_document("ml.logistic_regression", {}, "digits", wrapper="ml.one_vs_one")
    trained = train(document, tmp_path)
    download = onnx_download(trained.scorer())
    [labels] = download.manifest["outputs"]
    assert labels["response_column"] == "Scored Labels"
    import onnxruntime

    session = onnxruntime.InferenceSession(download.data, providers=["CPUExecutionProvider"])
    rows = trained.test_rows()[download.manifest["features"]]
    [got] = session.run([labels["name"]], {"X": rows.to_numpy(dtype="float64")})
    assert got.reshape(-1).tolist() == trained.scored()["Scored Labels"].tolist()
