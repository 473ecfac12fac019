"""Naming another workspace's run or dataset version from one's own objects gets nothing of it.

The owner of one workspace learns (or guesses) a run id or a dataset version's digest of
another workspace and puts it where their own objects take one: the other run in a comparison
with their own, the other version's digest under their own dataset, a frozen table made of the
other version. Each is refused like a missing object (naming nothing of it), or, for the frozen
table, before anything runs.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.runs.models import Run
from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.test_runs import make_graph
from tests.security.test_dataset_lineage import a_run

pytestmark = pytest.mark.django_db
SECRET = "Q7-their-rows"


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def upload(team: Team, who: str, workspace: int, name: str) -> dict[str, Any]:
    """A dataset version the user uploads: {"dataset": id, "digest": version digest}."""
    file = SimpleUploadedFile(f"{name}.csv", f"secret,owner\n{SECRET},{name}\n".encode())
    answer = team.client(who).post(
        f"/api/workspaces/{workspace}/datasets/", {"name": name, "file": file}, "multipart"
    )
    assert answer.status_code == 201, answer.json()
    listed = team.client(who).get(f"/api/workspaces/{workspace}/datasets/").json()["results"]
    dataset = next(d for d in listed if d["name"] == name)
    return {"dataset": dataset["id"], "digest": dataset["latest"]["digest"]}


def same_refusal(foreign: Any, missing: Any, foreign_id: str, missing_id: str) -> None:
    """A 404 for the foreign object exactly like the one for a missing object (ids aside)."""
    assert foreign.status_code == missing.status_code == 404
    body = foreign.content.decode()
    assert SECRET not in body
    ids = re.compile(r"\d+")
    assert ids.sub("N", body.replace(foreign_id, "X")) == ids.sub(
        "N", missing.content.decode().replace(missing_id, "X")
    )


def test_a_run_of_another_workspace_cannot_be_compared_with_ones_own(team: Team) -> None:
    theirs = a_run(team.foreign, team.users["outsider"])
    mine = a_run(team.workspace, team.users["owner"])
    owner = team.client("owner")
    for path, missing in (
        (f"/api/runs/{mine.pk}/compare/{theirs.pk}/", f"/api/runs/{mine.pk}/compare/999999/"),
        (f"/api/runs/{theirs.pk}/compare/{mine.pk}/", f"/api/runs/999999/compare/{mine.pk}/"),
    ):
        same_refusal(owner.get(path), owner.get(missing), str(theirs.pk), "999999")


def test_another_workspaces_version_is_not_found_under_ones_own_dataset(team: Team) -> None:
    theirs = upload(team, "outsider", team.foreign.pk, "their-data")
    mine = upload(team, "editor", team.workspace.pk, "my-data")
    viewer = team.client("viewer")
    for route in ("preview", "usage"):
        for digest in (theirs["digest"], theirs["digest"][:8]):
            path = f"/api/datasets/{mine['dataset']}/versions/{digest}/{route}/"
            made_up = "ab" * 32 if len(digest) == 64 else "abababab"
            missing = f"/api/datasets/{mine['dataset']}/versions/{made_up}/{route}/"
            same_refusal(viewer.get(path), viewer.get(missing), digest, made_up)
        own = f"/api/datasets/{mine['dataset']}/versions/{mine['digest']}/{route}/"
        assert viewer.get(own).status_code == 200


def test_a_frozen_table_of_another_workspaces_dataset_version_does_not_run(team: Team) -> None:
    theirs = upload(team, "outsider", team.foreign.pk, "their-data")
    their_run = a_run(team.foreign, team.users["outsider"])
    frozen = {
        "id": "stolen",
        "module": "data.frozen_dataset@1",
        "params": {
            "run": their_run.pk,
            "step": "n1",
            "port": "dataset",
            "digest": theirs["digest"],
        },
        "position": {"x": 0, "y": 0},
    }
    document = {"schema_version": 1, "parameters": {}, "nodes": [frozen], "edges": []}
    editor = team.client("editor")
    graph = make_graph(editor, team.workspace.pk, document)
    runs = Run.objects.count()
    refused = editor.post(f"/api/graphs/{graph}/runs/", {}, format="json")
    assert refused.status_code == 400, refused.json()
    [issue] = refused.json()["issues"]
    assert (issue["node"], issue["code"]) == ("stolen", "not_in_workspace")
    assert SECRET not in refused.content.decode()
    assert Run.objects.count() == runs
