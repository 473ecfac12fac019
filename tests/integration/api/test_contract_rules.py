"""What Schemathesis found, kept as plain tests: strict request types and shapes, no 500s."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import Team, simple_document

pytestmark = pytest.mark.django_db


def _graph(team: Team) -> int:
    editor = team.client("editor")
    body = {"name": "g", "document": simple_document()}
    graph: int = editor.post(
        f"/api/workspaces/{team.workspace.pk}/graphs/", body, format="json"
    ).json()["id"]
    return graph


def _fields(response: object) -> list[str]:
    return [i.get("field", "") for i in response.json()["issues"]]  # type: ignore[attr-defined]


def test_a_number_is_not_a_name(team: Team) -> None:
    owner = team.client("owner")
    refused = owner.post("/api/workspaces/", {"name": 0}, format="json")
    assert refused.status_code == 400 and _fields(refused) == ["name"]
    graph = _graph(team)
    refused = owner.patch(f"/api/graphs/{graph}/", {"name": 7, "description": True}, format="json")
    assert refused.status_code == 400 and sorted(_fields(refused)) == ["description", "name"]


def test_validate_and_compile_take_a_document_or_nothing(team: Team) -> None:
    viewer, graph = team.client("viewer"), _graph(team)
    for action in ("validate", "compile"):
        assert viewer.post(f"/api/graphs/{graph}/{action}/", [], format="json").status_code == 400
        assert viewer.post(f"/api/graphs/{graph}/{action}/", {}, format="json").status_code == 200


def test_a_multipart_import_without_a_file_names_the_file(team: Team) -> None:
    editor = team.client("editor")
    refused = editor.post(
        f"/api/workspaces/{team.workspace.pk}/graphs/import/", {"name": "x"}, format="multipart"
    )
    assert refused.status_code == 400 and _fields(refused) == ["file"]


def test_query_values_are_checked_not_guessed(team: Team) -> None:
    viewer, graph = team.client("viewer"), _graph(team)
    for path in (
        f"/api/graphs/{graph}/export/?version=",
        f"/api/graphs/{graph}/export/?version=99999999999",
        f"/api/graphs/{graph}/diff/?from=draft&to=-1",
        f"/api/graphs/{graph}/runs/?status=",
        f"/api/workspaces/{team.workspace.pk}/runs/?graph=",
        f"/api/workspaces/{team.workspace.pk}/datasets/?archived=1073741823",
        f"/api/workspaces/{team.workspace.pk}/graphs/?limit=many",
    ):
        assert viewer.get(path).status_code == 400, path


def test_plan_preview_reads_the_workspace_cache(team: Team) -> None:
    graph = _graph(team)
    preview = team.client("viewer").post(f"/api/graphs/{graph}/plan/", {}, format="json")
    assert preview.status_code == 200, preview.content


def test_options_and_head_on_a_post_only_route_are_no_server_error(team: Team) -> None:
    graph = _graph(team)
    editor = team.client("editor")
    assert editor.options(f"/api/graphs/{graph}/validate/").status_code == 200
    assert editor.head(f"/api/graphs/{graph}/validate/").status_code == 405


def test_a_nul_character_in_a_json_body_is_a_400_not_a_database_error(team: Team) -> None:
    refused = team.client("owner").post(
        "/api/workspaces/", b'{"name": "a\\u0000b"}', content_type="application/json"
    )
    assert refused.status_code == 400 and "NUL" in refused.json()["detail"]
