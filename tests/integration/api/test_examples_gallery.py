"""Starting a pipeline from a shipped example: the gallery, the roles, and what the copy holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.graphs.models import Graph
from tests.integration.api.conftest import Team

pytestmark = pytest.mark.django_db
EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "examples").glob("*.json"))


def test_the_gallery_lists_every_shipped_example_with_what_it_shows(team: Team) -> None:
    gallery = team.client("viewer").get("/api/examples/")
    assert gallery.status_code == 200
    listed = {e["slug"]: e for e in gallery.json()}
    assert sorted(listed) == [path.stem for path in EXAMPLES]
    wine = listed["multiclass_wine"]
    assert wine["name"] == "Multiclass classification: wine cultivars"
    assert listed["sql_python_loans"]["name"] == "SQL and Python: loan approval"
    # every example has a name of its own, not its file's name, and they are listed by it
    names = [e["name"] for e in gallery.json()]
    assert not {slug.replace("_", " ").capitalize() for slug in listed} & set(names)
    assert names == sorted(names) and len(set(names)) == len(names)
    assert wine["description"].startswith("Multiclass classification: which of three cultivars")
    assert wine["steps"] == 6
    assert team.client("anonymous").get("/api/examples/").status_code in (401, 403)


def test_an_editor_starts_a_pipeline_from_an_example_with_its_first_version(team: Team) -> None:
    workspace = team.workspace.pk
    made = team.client("editor").post(
        f"/api/workspaces/{workspace}/graphs/from-example/",
        {"example": "regression_diabetes"},
        format="json",
    )
    assert made.status_code == 201, made.content
    graph = Graph.objects.get(pk=made.json()["id"])
    assert (graph.workspace_id, graph.name) == (workspace, "Regression: diabetes progression")
    assert graph.description.startswith("Regression: predict disease progression")
    shipped = json.loads(Path(EXAMPLES[0].parent / "regression_diabetes.json").read_text())
    assert [n["id"] for n in graph.draft["nodes"]] == [n["id"] for n in shipped["nodes"]]
    versions = team.client("editor").get(f"/api/graphs/{graph.pk}/versions/").json()
    assert [v["message"] for v in versions["results"]] == [
        "From the example “Regression: diabetes progression”"
    ]

    named = team.client("editor").post(
        f"/api/workspaces/{workspace}/graphs/from-example/",
        {"example": "regression_diabetes", "name": "My diabetes"},
        format="json",
    )
    assert named.json()["name"] == "My diabetes"


def test_a_viewer_an_outsider_and_an_unknown_example_are_refused_and_nothing_is_made(
    team: Team,
) -> None:
    url = f"/api/workspaces/{team.workspace.pk}/graphs/from-example/"
    body = {"example": "multiclass_wine"}
    assert team.client("viewer").post(url, body, format="json").status_code == 403
    assert team.client("outsider").post(url, body, format="json").status_code == 404
    unknown = team.client("editor").post(url, {"example": "../settings"}, format="json")
    assert unknown.status_code == 400
    problem = unknown.json()["issues"][0]
    assert (problem["field"], problem["code"]) == ("example", "invalid_choice")
    extra = team.client("editor").post(url, {**body, "document": {}}, format="json")
    assert extra.status_code == 400
    assert not Graph.objects.filter(workspace=team.workspace).exists()
