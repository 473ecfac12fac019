"""Dataset lineage never names a run of another workspace.

A version's writer comes from the dataset store's metadata, a file in the workspace's folder: the
index believes it only for a run of that same workspace. An entry that names another workspace's
run (forged, or a folder copied between workspaces) shows no writer, and nothing of that run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from designer.graphs import services as graph_services
from designer.graphs.analysis import plan_for_run
from designer.runs import dataset_services
from designer.runs import services as run_services
from designer.runs.models import Run
from designer.workspaces.models import Workspace
from tests.integration.api.conftest import Team, fast_passwords, make_team, simple_document  # noqa: F401

pytestmark = pytest.mark.django_db

SECRET = "Q7-foreign-step"


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def a_run(workspace: Workspace, owner: Any) -> Run:
    """A run of a graph in `workspace` (not executed: lineage only needs it to exist)."""
    graph = graph_services.create_graph(workspace, owner, "g", "", simple_document(1))
    version = graph_services.commit_version(graph.pk, owner, "", only_if_changed=False)
    return run_services.create_run(
        graph, version, owner, plan_for_run(graph.draft, {}), False, None, None
    )


def test_a_version_naming_another_workspaces_run_shows_no_writer(
    team: Team, tmp_path: Path
) -> None:
    foreign_run = a_run(team.foreign, team.users["outsider"])
    own_run = a_run(team.workspace, team.users["owner"])
    store = dataset_services.store_for(team.workspace.pk)
    for name, run in (("claimed", foreign_run), ("own", own_run)):
        table = tmp_path / f"{name}.parquet"
        pd.DataFrame({name: [1, 2]}).to_parquet(table)
        store.write(name, table, writer={"run": str(run.pk), "node": "n1", "label": SECRET})
    forged = tmp_path / "forged.parquet"
    pd.DataFrame({"x": [3]}).to_parquet(forged)
    store.write("forged", forged, writer={"run": "../1", "node": "n1", "label": SECRET})

    response = team.client("viewer").get(f"/api/workspaces/{team.workspace.pk}/datasets/")
    latest = {d["name"]: d["latest"] for d in response.json()["results"]}
    assert latest["own"]["written_by"] == {"run": own_run.pk, "step": "n1", "label": SECRET}
    assert latest["claimed"]["written_by"] is None
    assert latest["forged"]["written_by"] is None
    claimed = next(d["id"] for d in response.json()["results"] if d["name"] == "claimed")
    versions = team.client("viewer").get(f"/api/datasets/{claimed}/versions/").json()
    assert [v["written_by"] for v in versions["results"]] == [None]
    # and the outsider, whose run it names, cannot read the team's dataset at all
    assert team.client("outsider").get(f"/api/datasets/{claimed}/versions/").status_code == 404
