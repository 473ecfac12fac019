"""What a REST request's sign-in and membership checks answer follows every change at once.

The token, its user and the caller's membership are read from the database by each request
(plain statements, decision 0042): a revoked token, a deactivated user, a removed member or a
lowered role is refused by the very next request, even right after the same credential was let
in (nothing about the credential is remembered but its recent sign-in from an address, which
only skips the lockout check for lockout.SIGN_IN_SECONDS). Through the real Django stack, on the
run-starting POST (one statement for the graph and the membership) and on reads (the membership
alone).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from designer.workspaces import lockout, services
from designer.workspaces.models import Membership, Role
from tests.integration.api.conftest import fast_passwords  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db


def person(name: str) -> Any:
    return get_user_model().objects.create_user(name, f"{name}@example.com", "pw-123456789")


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def team() -> dict[str, Any]:
    """An owner (signed in by session) and an editor (by token) of a workspace with an empty
    graph (a run of it has no step: finished in its POST)."""
    owner, editor = person("olga"), person("ed")
    workspace = services.create_workspace(owner, "Team")
    Membership.objects.create(workspace=workspace, user=editor, role=Role.EDITOR)
    token, raw = services.create_token(editor, "cli")
    session = APIClient()
    session.force_login(owner)
    graph = session.post(f"/api/workspaces/{workspace.pk}/graphs/", {"name": "g"}, format="json")
    assert graph.status_code == 201
    return {
        "owner": owner,
        "editor": editor,
        "workspace": workspace,
        "session": session,
        "token": token,
        "client": bearer(raw),
        "graph": graph.json()["id"],
    }


def start(team: dict[str, Any]) -> int:
    answer = team["client"].post(f"/api/graphs/{team['graph']}/runs/", {}, format="json")
    return int(answer.status_code)


def read(team: dict[str, Any]) -> int:
    return int(team["client"].get(f"/api/workspaces/{team['workspace'].pk}/graphs/").status_code)


def test_a_revoked_token_is_refused_by_the_next_request(team: dict[str, Any]) -> None:
    assert (start(team), read(team)) == (201, 200)
    sess = APIClient()
    sess.force_login(team["editor"])
    assert sess.delete(f"/api/tokens/{team['token'].pk}/").status_code == 204
    assert (start(team), read(team)) == (401, 401)


def test_a_deactivated_user_is_refused_by_the_next_request(team: dict[str, Any]) -> None:
    assert (start(team), read(team)) == (201, 200)
    team["editor"].is_active = False
    team["editor"].save()
    assert (start(team), read(team)) == (401, 401)


def test_a_removed_member_is_refused_by_the_next_request(team: dict[str, Any]) -> None:
    assert (start(team), read(team)) == (201, 200)
    members = f"/api/workspaces/{team['workspace'].pk}/members/{team['editor'].pk}/"
    assert team["session"].delete(members).status_code == 204
    assert (start(team), read(team)) == (404, 404)


def test_a_lowered_role_is_refused_by_the_next_request(team: dict[str, Any]) -> None:
    assert start(team) == 201
    members = f"/api/workspaces/{team['workspace'].pk}/members/{team['editor'].pk}/"
    lowered = team["session"].patch(members, {"role": "viewer"}, format="json")
    assert lowered.status_code == 200
    assert (start(team), read(team)) == (403, 200)


def test_a_lockout_binds_a_token_that_signed_in_lately_once_that_time_is_up(
    team: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]  # the monotonic clock the remembered sign-ins are timed by
    monkeypatch.setattr(lockout, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    assert read(team) == 200  # signed in from this address: remembered for SIGN_IN_SECONDS
    guesser = bearer("dsn_guess")
    assert {guesser.get("/api/me/").status_code for _ in range(6)} == {401, 429}
    clock[0] += lockout.SIGN_IN_SECONDS - 1
    assert read(team) == 200  # the lockout check is skipped for a sign-in that recent
    clock[0] += 2
    assert read(team) == 429  # then the lockout binds it too
    assert team["client"].get("/api/me/", REMOTE_ADDR="10.9.8.7").status_code == 200
