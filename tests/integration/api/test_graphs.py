"""Graphs through the HTTP API: drafts with ETags, versions, diff, import/export, validation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from designer.graphs.models import Graph, GraphVersion
from tests.integration.api.conftest import Team, schema_validator, simple_document

pytestmark = pytest.mark.django_db


def create(client: APIClient, ws: int, document: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Pipeline"}
    if document is not None:
        body["document"] = document
    response = client.post(f"/api/workspaces/{ws}/graphs/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def put_draft(client: APIClient, graph: int, document: Any, etag: str | None) -> Any:
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return client.put(f"/api/graphs/{graph}/draft/", document, format="json", **headers)


def test_graphs_are_found_by_name_or_description_a_page_at_a_time(team: Team) -> None:
    editor, ws = team.client("editor"), team.workspace.pk
    for n in range(7):
        name = f"Churn model {n}" if n % 2 else f"Forecast {n}"
        editor.post(f"/api/workspaces/{ws}/graphs/", {"name": name}, format="json")
    editor.post(
        f"/api/workspaces/{ws}/graphs/",
        {"name": "Nightly", "description": "scores CHURN risk"},
        format="json",
    )
    viewer = team.client("viewer")
    found = viewer.get(f"/api/workspaces/{ws}/graphs/?q=churn&limit=2").json()
    assert found["count"] == 4 and len(found["results"]) == 2
    rest = viewer.get(found["next"]).json()
    names = [g["name"] for g in found["results"] + rest["results"]]
    assert names == ["Nightly", "Churn model 5", "Churn model 3", "Churn model 1"]
    assert viewer.get(f"/api/workspaces/{ws}/graphs/?q=%20%20").json()["count"] == 8
    for bad in ("x" * 201, "a\x00b"):
        answer = viewer.get(f"/api/workspaces/{ws}/graphs/", {"q": bad})
        assert answer.status_code == 400 and answer.json()["issues"][0]["field"] == "q"
    outsider, own = team.client("outsider"), team.foreign.pk
    assert outsider.get(f"/api/workspaces/{ws}/graphs/?q=churn").status_code == 404
    assert outsider.get(f"/api/workspaces/{own}/graphs/?q=churn").json()["count"] == 0


def test_draft_save_needs_the_current_etag(team: Team) -> None:
    editor = team.client("editor")
    graph = create(editor, team.workspace.pk)
    doc = simple_document(2)
    assert put_draft(editor, graph["id"], doc, None).status_code == 428
    saved = put_draft(editor, graph["id"], doc, graph["etag"])
    assert saved.status_code == 200, saved.json()
    assert saved["ETag"] == saved.json()["etag"] != graph["etag"]
    assert saved.json()["issues"] == []
    stale = put_draft(editor, graph["id"], simple_document(3), graph["etag"])
    assert stale.status_code == 412
    body = stale.json()
    assert body["code"] == "stale_draft"
    assert body["etag"] == saved.json()["etag"]
    assert [n["id"] for n in body["draft"]["nodes"]] == ["n1", "n2"]
    fetched = editor.get(f"/api/graphs/{graph['id']}/")
    assert fetched["ETag"] == saved.json()["etag"]
    assert len(fetched.json()["draft"]["nodes"]) == 2


def test_invalid_draft_is_saved_with_its_issues(team: Team) -> None:
    editor = team.client("editor")
    graph = create(editor, team.workspace.pk)
    doc = simple_document(2)
    doc["nodes"][1]["module"] = "no.such_module@1"
    saved = put_draft(editor, graph["id"], doc, graph["etag"])
    assert saved.status_code == 200
    issues = saved.json()["issues"]
    assert issues and issues[0]["node"] == "n2"
    assert Graph.objects.get(pk=graph["id"]).draft["nodes"][1]["module"] == "no.such_module@1"


def test_malformed_document_is_rejected_naming_every_problem(team: Team) -> None:
    editor = team.client("editor")
    graph = create(editor, team.workspace.pk)
    doc = {"schema_version": 1, "nodes": [{"id": "a"}, {"module": 3}], "edges": "x", "extra": 1}
    response = put_draft(editor, graph["id"], doc, graph["etag"])
    assert response.status_code == 400
    fields = {i.get("field") for i in response.json()["issues"]}
    assert {"nodes[0].module", "nodes[1].id", "nodes[1].module", "edges", "graph.extra"} <= fields
    assert Graph.objects.get(pk=graph["id"]).draft_revision == 1


def test_versions_restore_and_diff(team: Team) -> None:
    editor = team.client("editor")
    graph = create(editor, team.workspace.pk, simple_document(2))
    gid = graph["id"]
    v1 = editor.post(f"/api/graphs/{gid}/versions/", {"message": "first"}, format="json")
    assert v1.status_code == 201 and v1.json()["number"] == 1
    assert editor.post(f"/api/graphs/{gid}/versions/", {}, format="json").status_code == 409
    doc = simple_document(3)
    doc["nodes"][1]["params"]["mode"] = "include"
    doc["nodes"][1]["params"]["columns"] = "$drop"
    doc["nodes"][1].update(label="Drop", execution={"timeout": 60}, position={"x": 9, "y": 9})
    doc["parameters"] = {"drop": {"type": "string", "default": None, "description": ""}}
    doc["comments"] = [{"id": "c1", "text": "why", "position": {"x": 0, "y": 0}}]
    etag = editor.get(f"/api/graphs/{gid}/").json()["etag"]
    assert put_draft(editor, gid, doc, etag).status_code == 200
    diff = editor.get(f"/api/graphs/{gid}/diff/?from=1&to=draft").json()
    schema_validator("/api/graphs/{id}/diff/", "get", "200").validate(diff)
    assert [n["id"] for n in diff["nodes"]["added"]] == ["n3"]
    changed = diff["nodes"]["changed"][0]
    assert changed["params"]["changed"] == {
        "mode": {"from": "exclude", "to": "include"},
        "columns": {"from": [], "to": "$drop"},
    }
    assert changed["label"] == {"from": None, "to": "Drop"}
    assert changed["execution"] == {"from": None, "to": {"timeout": 60}}
    assert changed["moved"]["to"] == {"x": 9, "y": 9}
    assert list(diff["parameters"]["added"]) == ["drop"]
    assert diff["comments"] == {"added": ["c1"], "removed": [], "changed": []}
    assert len(diff["edges"]["added"]) == 1
    assert (
        editor.post(
            f"/api/graphs/{gid}/versions/", {"message": "second"}, format="json"
        ).status_code
        == 201
    )
    history = editor.get(f"/api/graphs/{gid}/versions/").json()["results"]
    assert [(v["number"], v["parent"]) for v in history] == [(2, 1), (1, None)]
    restored = editor.post(f"/api/graphs/{gid}/versions/1/restore/")
    assert restored.status_code == 200
    assert len(restored.json()["draft"]["nodes"]) == 2
    assert restored["ETag"] != etag
    assert editor.get(f"/api/graphs/{gid}/diff/?from=1&to=x").status_code == 400
    assert editor.get(f"/api/graphs/{gid}/diff/?from=9&to=draft").status_code == 404
    assert GraphVersion.objects.get(graph_id=gid, number=1).document == simple_document(2)


def test_import_export_roundtrip(team: Team) -> None:
    editor, ws = team.client("editor"), team.workspace.pk
    document = simple_document(3)
    upload = SimpleUploadedFile("churn.json", json.dumps(document).encode(), "application/json")
    imported = editor.post(
        f"/api/workspaces/{ws}/graphs/import/", {"file": upload}, format="multipart"
    )
    assert imported.status_code == 201, imported.json()
    assert imported.json()["name"] == "churn"
    gid = imported.json()["id"]
    editor.patch(f"/api/graphs/{gid}/", {"description": "Who leaves, and why"}, format="json")
    exported = editor.get(f"/api/graphs/{gid}/export/")
    assert exported["Content-Disposition"] == 'attachment; filename="churn.json"'
    body = json.loads(exported.content)
    assert body == {"name": "churn", "description": "Who leaves, and why", "document": document}
    again = editor.post(
        f"/api/workspaces/{ws}/graphs/import/",
        {"file": SimpleUploadedFile("export.json", exported.content, "application/json")},
        format="multipart",
    )
    assert again.status_code == 201, again.json()
    assert (again.json()["name"], again.json()["description"]) == ("churn", "Who leaves, and why")
    assert again.json()["draft"] == document
    by_body = editor.post(
        f"/api/workspaces/{ws}/graphs/import/?name=Plain", document, format="json"
    )
    assert by_body.status_code == 201 and by_body.json()["name"] == "Plain"
    broken = SimpleUploadedFile("x.json", b"{nope", "application/json")
    bad = editor.post(f"/api/workspaces/{ws}/graphs/import/", {"file": broken}, format="multipart")
    assert bad.status_code == 400 and "x.json is not valid JSON" in bad.json()["detail"]


def test_duplicate_patch_delete(team: Team) -> None:
    editor = team.client("editor")
    graph = create(editor, team.workspace.pk, simple_document(2))
    copy = editor.post(f"/api/graphs/{graph['id']}/duplicate/", {}, format="json").json()
    assert copy["name"] == "Pipeline (copy)" and copy["draft"] == graph["draft"]
    renamed = editor.patch(f"/api/graphs/{copy['id']}/", {"name": "Other"}, format="json")
    assert renamed.json()["name"] == "Other"
    assert editor.delete(f"/api/graphs/{copy['id']}/").status_code == 204
    assert editor.get(f"/api/graphs/{copy['id']}/").status_code == 404


def test_duplicating_a_graph_with_the_longest_name_shortens_the_copy_name(team: Team) -> None:
    editor = team.client("editor")
    graph = create(editor, team.workspace.pk, simple_document(2))
    long_name = "n" * 200  # the column's limit: " (copy)" must not push it over (500 on PostgreSQL)
    assert (
        editor.patch(f"/api/graphs/{graph['id']}/", {"name": long_name}, format="json").status_code
        == 200
    )
    copy = editor.post(f"/api/graphs/{graph['id']}/duplicate/", {}, format="json")
    assert copy.status_code == 201
    assert copy.json()["name"] == "n" * 193 + " (copy)"


def test_validate_and_compile(team: Team) -> None:
    viewer = team.client("viewer")
    graph = create(team.client("editor"), team.workspace.pk, simple_document(3))
    valid = viewer.post(f"/api/graphs/{graph['id']}/validate/")
    assert valid.json() == {"valid": True, "issues": []}
    bad = simple_document(2)
    bad["edges"][0]["target"]["port"] = "nope"
    checked = viewer.post(f"/api/graphs/{graph['id']}/validate/", bad, format="json").json()
    assert not checked["valid"] and checked["issues"][0]["edge"] == "e2"
    compiled = viewer.post(f"/api/graphs/{graph['id']}/compile/").json()
    answer = schema_validator("/api/graphs/{id}/compile/", "post", "200")
    answer.validate(compiled)
    assert compiled["valid"] and [s["key"] for s in compiled["plan"]["steps"]] == ["n1", "n2", "n3"]
    assert compiled["plan"]["steps"][1]["inputs"][0]["from"] == {"step": "n1", "port": "dataset"}
    refused = viewer.post(f"/api/graphs/{graph['id']}/compile/", bad, format="json").json()
    answer.validate(refused)
    assert refused["plan"] is None and not refused["valid"]


def test_viewer_cannot_save(team: Team) -> None:
    graph = create(team.client("editor"), team.workspace.pk)
    response = put_draft(team.client("viewer"), graph["id"], simple_document(2), graph["etag"])
    assert response.status_code == 403


def test_module_catalogue(team: Team) -> None:
    body = team.client("viewer").get("/api/modules/").json()
    refs = {m["ref"] for m in body["modules"]}
    assert {"data.sample_dataset@1", "ml.train_model@1"} <= refs
    assert set(body["categories"]) == {m["category"] for m in body["modules"]}
