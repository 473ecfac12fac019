"""Workspaces, members, roles and personal API tokens through the HTTP API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.integration.api.conftest import Team

pytestmark = pytest.mark.django_db


def test_me_lists_memberships(team: Team) -> None:
    body = team.client("editor").get("/api/me/").json()
    assert body["username"] == "editor"
    assert body["memberships"] == [
        {"workspace": {"id": team.workspace.pk, "name": "Team"}, "role": "editor"}
    ]


def test_creating_a_workspace_makes_the_caller_owner(team: Team) -> None:
    client = team.client("viewer")
    created = client.post("/api/workspaces/", {"name": "Mine"}, format="json")
    assert created.status_code == 201
    assert created.json()["role"] == "owner"
    names = [w["name"] for w in client.get("/api/workspaces/").json()["results"]]
    assert names == ["Mine", "Team"]


def test_owner_invites_changes_role_and_removes(team: Team) -> None:
    owner, ws = team.client("owner"), team.workspace.pk
    invited = owner.post(
        f"/api/workspaces/{ws}/members/",
        {"user": "outsider@example.com", "role": "viewer"},
        format="json",
    )
    assert invited.status_code == 201, invited.json()
    outsider = team.users["outsider"].pk
    assert team.client("outsider").get(f"/api/workspaces/{ws}/").status_code == 200
    patched = owner.patch(
        f"/api/workspaces/{ws}/members/{outsider}/", {"role": "editor"}, format="json"
    )
    assert patched.json()["role"] == "editor"
    assert owner.delete(f"/api/workspaces/{ws}/members/{outsider}/").status_code == 204
    assert team.client("outsider").get(f"/api/workspaces/{ws}/").status_code == 404


def test_invite_names_unknown_user_and_duplicate(team: Team) -> None:
    owner, ws = team.client("owner"), team.workspace.pk
    unknown = owner.post(
        f"/api/workspaces/{ws}/members/", {"user": "nobody", "role": "viewer"}, format="json"
    )
    assert unknown.status_code == 400
    assert unknown.json()["issues"][0]["field"] == "user"
    again = owner.post(
        f"/api/workspaces/{ws}/members/", {"user": "editor", "role": "viewer"}, format="json"
    )
    assert again.status_code == 409
    assert "already a member" in again.json()["detail"]


def test_last_owner_cannot_leave_or_be_demoted(team: Team) -> None:
    owner, ws, me = team.client("owner"), team.workspace.pk, team.users["owner"].pk
    assert (
        owner.patch(
            f"/api/workspaces/{ws}/members/{me}/", {"role": "viewer"}, format="json"
        ).status_code
        == 409
    )
    assert owner.delete(f"/api/workspaces/{ws}/members/{me}/").status_code == 409


def test_any_member_leaves_but_the_last_owner(team: Team) -> None:
    ws = team.workspace.pk
    viewer = team.client("viewer")
    assert viewer.post(f"/api/workspaces/{ws}/leave/").status_code == 204
    assert viewer.get(f"/api/workspaces/{ws}/").status_code == 404  # no longer a member
    assert viewer.post(f"/api/workspaces/{ws}/leave/").status_code == 404
    last = team.client("owner").post(f"/api/workspaces/{ws}/leave/")
    assert last.status_code == 409 and "last owner" in last.json()["detail"]
    assert team.client("outsider").post(f"/api/workspaces/{ws}/leave/").status_code == 404
    entries = team.client("owner").get(f"/api/workspaces/{ws}/activity/").json()["results"]
    assert [(e["action"], e["actor_name"], e["details"]) for e in entries[:1]] == [
        ("member_left", "viewer", {"role": "viewer"})
    ]


def test_editor_cannot_manage_members(team: Team) -> None:
    response = team.client("editor").post(
        f"/api/workspaces/{team.workspace.pk}/members/",
        {"user": "outsider", "role": "owner"},
        format="json",
    )
    assert response.status_code == 403
    assert "owner role" in response.json()["detail"]


def test_token_is_shown_once_and_revocable(team: Team) -> None:
    client = APIClient()  # tokens are created from a signed-in session
    client.force_login(team.users["owner"])
    created = client.post("/api/tokens/", {"name": "ci"}, format="json").json()
    assert created["token"].startswith("dsn_")
    listed = client.get("/api/tokens/").json()["results"]
    assert all("token" not in t for t in listed)
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert script.get("/api/me/").status_code == 200
    assert client.get(f"/api/tokens/{created['id']}/").json()["last_used_at"] is not None
    assert client.delete(f"/api/tokens/{created['id']}/").status_code == 204
    denied = script.get("/api/me/")
    assert denied.status_code == 401
    assert denied.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "  "}])
def test_a_key_or_a_token_needs_a_name_to_tell_it_apart(team: Team, body: dict) -> None:
    client = APIClient()
    client.force_login(team.users["owner"])
    keys = f"/api/workspaces/{team.workspace.pk}/endpoint-keys/"
    for url, told in (
        (keys, "Name the key, to tell it apart in the keys list."),
        ("/api/tokens/", "Name the token, to tell it apart in the tokens list."),
    ):
        before = client.get(url).json()["count"]  # the team's clients sign in with a token
        refused = client.post(url, body, format="json")
        assert refused.status_code == 400, refused.content
        [issue] = refused.json()["issues"]
        assert (issue["field"], issue["message"]) == ("name", told)
        assert client.get(url).json()["count"] == before


def test_unknown_fields_and_wrong_types_are_named(team: Team) -> None:
    response = team.client("owner").post(
        "/api/workspaces/", {"name": ["x"], "colour": "red"}, format="json"
    )
    assert response.status_code == 400
    fields = {i["field"] for i in response.json()["issues"]}
    assert fields == {"colour", "name"}
    response = team.client("owner").post("/api/workspaces/", {"name": {"a": 1}}, format="json")
    assert response.status_code == 400
    assert response.json()["issues"][0]["field"] == "name"


def test_malformed_json_and_oversize_bodies(team: Team, settings: object) -> None:
    client = team.client("owner")
    bad = client.generic("POST", "/api/workspaces/", "{not json", content_type="application/json")
    assert bad.status_code == 400
    assert "not valid JSON" in bad.json()["detail"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # type: ignore[attr-defined]
    big = client.post("/api/workspaces/", {"name": "x" * 2000}, format="json")
    assert big.status_code == 413
    assert "larger than 1,000 bytes." in big.json()["detail"]


def test_unknown_api_route_answers_json_404(team: Team) -> None:
    response = team.client("owner").get("/api/graphs/not-a-number/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "url",
    [
        "/api/graphs/99999999999999999999999999/",
        "/api/runs/9223372036854775808/steps/x/log/",
        "/api/workspaces/18446744073709551616/graphs/",
        "/api/datasets/0/versions/zz/preview/",
    ],
)
def test_out_of_range_ids_are_404_not_500(team: Team, url: str) -> None:
    response = team.client("owner").get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
