"""Frozen nodes cannot reach another workspace's outputs.

A frozen model, transform or table names a run, a step, an output and its digest. An attacker
who owns one workspace and learns (or guesses) another workspace's run ids or digests puts
them in a graph of their own: the run is refused before anything is queued, naming the node,
and so is compiling a scorer; deriving an inference graph from the other workspace's run is
a 404 like any of its objects.
"""

from __future__ import annotations

import copy

import pytest

from designer.api_errors import ApiError
from designer.graphs.models import GraphVersion
from designer.runs.inference import build_version_scorer
from designer.runs.models import Run
from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.test_inference_graph import training_run
from tests.integration.api.test_runs import make_graph

pytestmark = pytest.mark.django_db(transaction=True)


def test_frozen_nodes_only_take_outputs_of_their_own_workspace(team_tx: Team) -> None:
    outsider, editor = team_tx.client("outsider"), team_tx.client("editor")
    theirs = training_run(outsider, team_tx.foreign.pk, "regression_diabetes")
    ours = training_run(editor, team_tx.workspace.pk, "multiclass_wine")
    assert (
        editor.post(f"/api/runs/{theirs['id']}/inference-graph/", {}, format="json").status_code
        == 404
    )

    derived = editor.post(f"/api/runs/{ours['id']}/inference-graph/", {}, format="json").json()
    document = editor.get(f"/api/graphs/{derived['id']}/").json()["draft"]
    their_model = next(s for s in theirs["steps"] if s["key"] == "train")["outputs"]["model"]
    frozen = next(n for n in document["nodes"] if n["module"] == "ml.frozen_model@1")
    attacks = {
        "their run, step and digest": {"run": theirs["id"], "digest": their_model["digest"]},
        "our run, their digest": {"digest": their_model["digest"]},
    }
    for name, params in attacks.items():
        attack = copy.deepcopy(document)
        node = next(n for n in attack["nodes"] if n["id"] == frozen["id"])
        node["params"] = {**node["params"], **params}
        graph = make_graph(editor, team_tx.workspace.pk, attack)
        runs_before = Run.objects.count()
        refused = editor.post(f"/api/graphs/{graph}/runs/", {}, format="json")
        assert refused.status_code == 400, name
        assert refused.json()["issues"][0]["node"] == frozen["id"], name
        assert refused.json()["issues"][0]["code"] == "not_in_workspace", name
        assert Run.objects.count() == runs_before, name
        version = GraphVersion.objects.filter(graph_id=graph).order_by("-number").first()
        if version is None:
            version = GraphVersion.objects.create(graph_id=graph, number=1, document=attack)
        with pytest.raises(ApiError) as caught:
            build_version_scorer(version)
        assert caught.value.detail["issues"][0]["node"] == frozen["id"], name
