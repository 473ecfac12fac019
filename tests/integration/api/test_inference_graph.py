"""From a training run to a scorer through the real API: derive the inference graph, run it
like any graph, compile it, and get the run's own scores back for the test rows."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
import pytest

from designer.graphs.models import GraphVersion
from designer.runs.inference import build_version_scorer
from designer.runs.models import Run
from tests.integration.api.conftest import Team
from tests.integration.api.test_runs import EXAMPLES, import_example, steps, wait_for
from tests.support.graphs import graph, node

pytestmark = pytest.mark.django_db(transaction=True)


def training_run(client: Any, workspace: int, example: str) -> dict[str, Any]:
    """Import an example and run it to the end, leaving the shared result cache alone (other
    tests expect a first run of the examples to compute every step)."""
    graph = import_example(client, workspace, example)
    started = client.post(f"/api/graphs/{graph['id']}/runs/", {"bypass_cache": True}, format="json")
    run = wait_for(client, started.json()["id"])
    assert run["status"] == "succeeded", steps(run)
    return run


def table(client: object, run: int, step: str, port: str) -> pd.DataFrame:
    response = client.get(f"/api/runs/{run}/steps/{step}/outputs/{port}/download/")  # type: ignore[attr-defined]
    return pd.read_parquet(io.BytesIO(b"".join(response.streaming_content)))


def test_a_run_becomes_an_inference_graph_that_runs_and_scores_like_the_run(
    team_tx: Team,
) -> None:
    editor = team_tx.client("editor")
    run = training_run(editor, team_tx.workspace.pk, "binary_breast_cancer")

    refused = editor.post(f"/api/runs/{run['id']}/inference-graph/", {}, format="json")
    assert refused.status_code == 400
    assert "several scoring nodes (score_logreg, score_boosted)" in refused.json()["detail"]
    created = editor.post(
        f"/api/runs/{run['id']}/inference-graph/", {"score_node": "score_logreg"}, format="json"
    )
    assert created.status_code == 201, created.json()
    inference = created.json()
    assert inference["workspace"] == team_tx.workspace.pk and inference["issues"] == []
    assert f"(run {run['id']})" in inference["name"]

    batch = wait_for(
        editor, editor.post(f"/api/graphs/{inference['id']}/runs/", {}, format="json").json()["id"]
    )
    assert batch["status"] == "succeeded", steps(batch)
    assert steps(batch)["train_logreg_model_frozen"]["status"] == "succeeded"

    version = GraphVersion.objects.get(graph_id=inference["id"], number=batch["version"])
    scorer = build_version_scorer(version)
    assert scorer.runtime == "onnx", scorer.runtime_reason
    exact = build_version_scorer(version, onnx=False)
    test_rows = table(editor, run["id"], "split", "test").drop(columns=["target"])
    expected = table(editor, run["id"], "score_logreg", "dataset")
    got = exact.score(test_rows.to_dict(orient="records"))
    assert [r["Scored Labels"] for r in got] == expected["Scored Labels"].tolist()
    assert [r["Scored Probabilities"] for r in got] == expected["Scored Probabilities"].tolist()


def test_who_may_derive_and_from_which_runs(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    run = training_run(editor, team_tx.workspace.pk, "multiclass_wine")
    url = f"/api/runs/{run['id']}/inference-graph/"
    assert team_tx.client("viewer").post(url, {}, format="json").status_code == 403
    assert team_tx.client("outsider").post(url, {}, format="json").status_code == 404
    assert team_tx.client("anonymous").post(url, {}, format="json").status_code in (401, 403)
    unknown = editor.post(url, {"score_node": "evaluate"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["issues"][0]["field"] == "score_node"
    assert editor.post(url, {"colour": "red"}, format="json").status_code == 400
    assert editor.post(url, {}, format="json").status_code == 201
    Run.objects.filter(pk=run["id"]).update(status="failed")
    failed = editor.post(url, {}, format="json")
    assert failed.status_code == 409 and failed.json()["code"] == "run_not_succeeded"


def test_a_feature_selection_before_training_is_replayed_by_the_scorer(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    document = json.loads((EXAMPLES / "binary_breast_cancer.json").read_text())
    document["nodes"] += [
        {
            "id": "select",
            "module": "ml.select_features@1",
            "params": {"label": "target", "method": "f_score", "count": 8},
            "position": {"x": 0, "y": 0},
        },
        {
            "id": "select_test",
            "module": "transform.apply_transform@1",
            "position": {"x": 0, "y": 0},
        },
    ]
    rewired = {("split", "train", "normalize"): ("select", "dataset")}
    rewired[("split", "test", "apply")] = ("select_test", "dataset")
    for edge in document["edges"]:
        key = (edge["source"]["node"], edge["source"]["port"], edge["target"]["node"])
        if key in rewired:
            edge["source"] = dict(zip(("node", "port"), rewired[key], strict=True))
    document["edges"] += [
        {"id": f"s{i}", "source": {"node": s, "port": sp}, "target": {"node": t, "port": tp}}
        for i, (s, sp, t, tp) in enumerate(
            [
                ("split", "train", "select", "dataset"),
                ("split", "test", "select_test", "dataset"),
                ("select", "transform", "select_test", "transform"),
            ]
        )
    ]
    graph = editor.post(
        f"/api/workspaces/{team_tx.workspace.pk}/graphs/",
        {"name": "selected", "document": document},
        format="json",
    )
    assert graph.status_code == 201, graph.json()
    started = editor.post(f"/api/graphs/{graph.json()['id']}/runs/", {}, format="json")
    run = wait_for(editor, started.json()["id"])
    assert run["status"] == "succeeded", steps(run)
    kept = table(editor, run["id"], "select", "scores").query("Selected")["Feature"].tolist()
    assert len(kept) == 8

    created = editor.post(
        f"/api/runs/{run['id']}/inference-graph/", {"score_node": "score_logreg"}, format="json"
    )
    assert created.status_code == 201, created.json()
    inference = created.json()["id"]
    batch = wait_for(
        editor, editor.post(f"/api/graphs/{inference}/runs/", {}, format="json").json()["id"]
    )
    assert batch["status"] == "succeeded", steps(batch)
    version = GraphVersion.objects.get(graph_id=inference, number=batch["version"])
    exact = build_version_scorer(version, onnx=False)
    test_rows = table(editor, run["id"], "split", "test").drop(columns=["target"])
    expected = table(editor, run["id"], "score_logreg", "dataset")
    got = exact.score(test_rows.to_dict(orient="records"))
    assert [r["Scored Probabilities"] for r in got] == expected["Scored Probabilities"].tolist()
    assert exact.runtime == "sklearn", exact.runtime_reason  # the selection replayed fused
    replayed = [type(step.fitted).__name__ for step in exact.kernel.replayed]
    assert replayed == ["SelectionTransform", "ScaleTransform"]


def test_a_frozen_transform_changes_columns_as_its_run_recorded_before_a_run(
    team_tx: Team,
) -> None:
    editor, workspace = team_tx.client("editor"), team_tx.workspace.pk
    fitted = graph(
        [
            node("iris", "data.sample_dataset@1", name="iris"),
            node("split", "transform.split_rows@1"),
            node("narrow", "transform.select_columns@1", pattern="^sepal l", mode="exclude"),
            node("pca", "transform.pca@1", exclude=["target"]),
            node("apply", "transform.apply_transform@1"),
            node("hot", "transform.one_hot@1", columns=["target"]),
        ],
        [
            ("iris.dataset", "split.dataset"),
            ("split.train", "narrow.dataset"),
            ("narrow.dataset", "pca.dataset"),
            ("pca.transform", "apply.transform"),
            ("split.test", "apply.dataset"),
            ("split.train", "hot.dataset"),
        ],
    )
    made = editor.post(
        f"/api/workspaces/{workspace}/graphs/import/?name=fit", fitted, format="json"
    )
    started = editor.post(f"/api/graphs/{made.json()['id']}/runs/", {}, format="json")
    run = wait_for(editor, started.json()["id"])
    ran = steps(run)
    assert run["status"] == "succeeded", {k: s["error"] for k, s in ran.items()}

    frozen = {  # node -> the fitting step and the digest it names
        "pca": ("pca", ran["pca"]["outputs"]["transform"]["digest"]),
        "hot": ("hot", ran["hot"]["outputs"]["transform"]["digest"]),  # in place: no effect says
        "other": ("pca", "0" * 64),  # not an output of the run
    }
    nodes = [node("iris", "data.sample_dataset@1", name="iris")]
    edges = []
    for name, (step, digest) in frozen.items():
        params = {"run": run["id"], "step": step, "port": "transform", "digest": digest}
        nodes += [
            node(name, "transform.frozen_transform@1", **params),
            node(f"apply_{name}", "transform.apply_transform@1"),
        ]
        edges += [
            (f"{name}.transform", f"apply_{name}.transform"),
            ("iris.dataset", f"apply_{name}.dataset"),
        ]
    url = f"/api/graphs/{made.json()['id']}/columns/"
    known = editor.post(url, graph(nodes, edges), format="json").json()["nodes"]
    recorded = ran["apply"]["outputs"]["dataset"]["summary"]["columns"]
    assert known["apply_pca"]["dataset"] == [
        {"name": c["name"], "dtype": c["dtype"]} for c in recorded
    ]  # the sepal length the fit never saw kept, the rest become PC1, PC2
    assert known["apply_hot"]["dataset"] is None and known["apply_other"]["dataset"] is None

    for run_id in ("abc", [str(run["id"])], True, 10**30, -1):  # params as typed, not yet checked
        nodes[1]["params"]["run"] = run_id
        answer = editor.post(url, graph(nodes, edges), format="json")
        assert answer.status_code == 200, answer.content
        assert answer.json()["nodes"]["apply_pca"]["dataset"] is None


def test_a_graph_without_web_service_modules_published_as_real_time_is_told_how_to_get_one(
    team_tx: Team,
) -> None:
    editor = team_tx.client("editor")
    document = graph([node("data", "data.sample_dataset@1", name="iris")])
    created = editor.post(
        f"/api/workspaces/{team_tx.workspace.pk}/graphs/",
        {"name": "training", "document": document},
        format="json",
    )
    refused = editor.post(
        f"/api/workspaces/{team_tx.workspace.pk}/endpoints/",
        {"name": "scores", "graph": created.json()["id"], "kind": "realtime"},
        format="json",
    )
    assert refused.status_code == 400 and refused.json()["code"] == "not_servable"
    assert refused.json()["detail"] == (
        "A real-time endpoint needs exactly one Web service input, where callers' rows come in; "
        "this graph has 0. To make one from a pipeline, open a run that trained its model and "
        "press “Create inference graph”, then publish that graph."
    )
