"""Parameter sweeps through the HTTP API: one run per combination, all started or none."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from designer.graphs.models import GraphVersion
from designer.runs.models import Run
from tests.integration.api.conftest import Team, schema_validator
from tests.integration.api.test_runs import EXAMPLES, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def swept_graph(client: APIClient, workspace: int) -> dict[str, Any]:
    """The breast cancer example with its logistic regression's C and its boosted trees' seed
    pipeline parameters."""
    document = json.loads((EXAMPLES / "binary_breast_cancer.json").read_text())
    document["parameters"] = {
        "C": {"type": "float", "default": 1.0},
        "seed": {"type": "int", "default": 42},
    }
    next(n for n in document["nodes"] if n["id"] == "logreg")["params"]["C"] = "$C"
    next(n for n in document["nodes"] if n["id"] == "boosted")["params"]["seed"] = "$seed"
    made = client.post(
        f"/api/workspaces/{workspace}/graphs/",
        {"name": "Swept", "document": document},
        format="json",
    )
    assert made.status_code == 201, made.json()
    return made.json()


def test_a_sweep_runs_each_value_on_one_version_and_ranks_them_by_metrics(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    graph = swept_graph(editor, team_tx.workspace.pk)
    answer = editor.post(
        f"/api/graphs/{graph['id']}/sweeps/",
        {"parameters": {"C": [0.01, 0.1, 1.0, 0.1]}},  # a repeated value runs once
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    schema_validator("/api/graphs/{id}/sweeps/", "post", "201").validate(answer.json())
    started = answer.json()["runs"]
    assert [r["parameters"] for r in started] == [  # seed is not swept: its default
        {"C": 0.01, "seed": 42},
        {"C": 0.1, "seed": 42},
        {"C": 1.0, "seed": 42},
    ]
    assert len({r["version"] for r in started}) == 1
    assert all(r["created_by"] == "editor" for r in started)
    finished = [wait_for(editor, r["id"]) for r in started]
    assert [r["status"] for r in finished] == ["succeeded"] * 3

    table = editor.get(f"/api/graphs/{graph['id']}/metrics/").json()["results"]
    log_loss = {
        row["run"]["parameters"]["C"]: next(
            m["value"] for m in row["metrics"] if m["name"] == "log_loss" and m["input"] == "scored"
        )
        for row in table
    }
    assert set(log_loss) == {0.01, 0.1, 1.0}
    assert len(set(log_loss.values())) == 3  # each run trained its own model


def test_a_sweep_that_cannot_run_whole_saves_nothing_and_names_the_combination(
    team_tx: Team,
) -> None:
    editor = team_tx.client("editor")
    graph = swept_graph(editor, team_tx.workspace.pk)
    before = (Run.objects.count(), GraphVersion.objects.filter(graph_id=graph["id"]).count())

    wrong = editor.post(
        f"/api/graphs/{graph['id']}/sweeps/",
        {"parameters": {"C": [0.5, "high"]}},
        format="json",
    )
    assert wrong.status_code == 400, wrong.json()
    assert wrong.json()["detail"].startswith("With C='high': The graph cannot run (1 problem): ")
    assert any(i.get("field") == "C" or "C" in i["message"] for i in wrong.json()["issues"])

    huge = editor.post(
        f"/api/graphs/{graph['id']}/sweeps/",
        {"parameters": {"C": [0.01, 0.1, 1.0, 10.0, 100.0], "seed": [1, 2, 3, 4, 5, 6]}},
        format="json",
    )
    assert huge.status_code == 400
    assert huge.json()["code"] == "sweep_too_large"
    assert "make 30 (values per parameter: C: 5, seed: 6)" in huge.json()["detail"]

    unknown = editor.post(
        f"/api/graphs/{graph['id']}/sweeps/", {"parameters": {"gamma": [1, 2]}}, format="json"
    )
    assert unknown.status_code == 400 and "gamma" in json.dumps(unknown.json())
    empty = editor.post(
        f"/api/graphs/{graph['id']}/sweeps/", {"parameters": {"C": []}}, format="json"
    )
    assert empty.status_code == 400 and "C" in json.dumps(empty.json())

    after = (Run.objects.count(), GraphVersion.objects.filter(graph_id=graph["id"]).count())
    assert after == before

    viewer = team_tx.client("viewer")
    refused = viewer.post(
        f"/api/graphs/{graph['id']}/sweeps/", {"parameters": {"C": [1.0]}}, format="json"
    )
    assert refused.status_code == 403


SCORING_SCRIPT = """def azureml_main(test, other=None):
    return test, {"score": len(test) / 10, "metrics": 1}
"""


def test_a_sweep_of_a_python_scripts_graph_lists_each_runs_score(team_tx: Team) -> None:
    """The script's score is the share of ten rows its split sent to the test set: the swept
    parameter itself."""
    editor = team_tx.client("editor")
    document = {
        "schema_version": 1,
        "parameters": {"fraction": {"type": "float", "default": 0.5}},
        "nodes": [
            {
                "id": "data",
                "module": "data.enter_data@1",
                "params": {"csv": "x\n" + "\n".join(map(str, range(10)))},
                "position": {"x": 0, "y": 0},
            },
            {
                "id": "split",
                "module": "transform.split_rows@1",
                "params": {"fraction": "$fraction", "seed": 1},
                "position": {"x": 0, "y": 100},
            },
            {
                "id": "score",
                "module": "script.python@1",
                "params": {"code": SCORING_SCRIPT},
                "position": {"x": 0, "y": 200},
                "label": "My evaluation",
            },
        ],
        "edges": [
            {
                "id": "e1",
                "source": {"node": "data", "port": "dataset"},
                "target": {"node": "split", "port": "dataset"},
            },
            {
                "id": "e2",
                "source": {"node": "split", "port": "test"},
                "target": {"node": "score", "port": "dataset1"},
            },
        ],
    }
    graph = editor.post(
        f"/api/workspaces/{team_tx.workspace.pk}/graphs/",
        {"name": "Scored by a script", "document": document},
        format="json",
    ).json()
    answer = editor.post(
        f"/api/graphs/{graph['id']}/sweeps/",
        {"parameters": {"fraction": [0.2, 0.5]}},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    finished = [wait_for(editor, r["id"]) for r in answer.json()["runs"]]
    assert [r["status"] for r in finished] == ["succeeded"] * 2, finished

    table = editor.get(f"/api/graphs/{graph['id']}/metrics/").json()
    schema_validator("/api/graphs/{id}/metrics/", "get", "200").validate(table)
    reported = {
        row["run"]["parameters"]["fraction"]: {
            (m["step"], m["label"], m["port"], m["name"]): m["value"] for m in row["metrics"]
        }
        for row in table["results"]
    }
    assert reported == {
        fraction: {
            ("score", "My evaluation", "metrics", "score"): fraction,
            ("score", "My evaluation", "metrics", "metrics"): 1,
        }
        for fraction in (0.2, 0.5)
    }
