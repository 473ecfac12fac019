"""Inviting members tells nobody which usernames exist or anyone's e-mail address.

Any user may create a workspace and so invite: an invite by username only reaches people the
inviter already shares a workspace with, and misses read the same whether or not the user
exists; e-mail addresses appear only in the user's own /api/me/.
"""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def invite(team: Team, who: str, workspace: int, user: str) -> tuple[int, dict]:
    response = team.client(who).post(
        f"/api/workspaces/{workspace}/members/", {"user": user, "role": "viewer"}, format="json"
    )
    return response.status_code, response.json()


def test_a_stranger_cannot_tell_existing_usernames_from_made_up_ones(team: Team) -> None:
    own = team.foreign.pk  # the outsider owns it and shares no workspace with the team
    existing = invite(team, "outsider", own, "editor")
    made_up = invite(team, "outsider", own, "no-such-user")
    assert existing == made_up
    assert existing[0] == 400


def test_usernames_of_colleagues_and_known_addresses_still_invite(team: Team) -> None:
    owner = team.client("owner")
    second = owner.post("/api/workspaces/", {"name": "Second"}, format="json").json()["id"]
    assert invite(team, "owner", second, "editor")[0] == 201  # shares "Team" with the owner
    status, added = invite(team, "outsider", team.foreign.pk, "viewer@example.com")
    assert status == 201 and added["user"]["username"] == "viewer"


def test_no_e_mail_address_is_shown_to_anyone_but_its_owner(team: Team) -> None:
    status, added = invite(team, "owner", team.workspace.pk, "outsider@example.com")
    assert status == 201
    members = team.client("viewer").get(f"/api/workspaces/{team.workspace.pk}/members/")
    for body in (str(added), members.content.decode()):
        assert "@example.com" not in body
    assert team.client("outsider").get("/api/me/").json()["email"] == "outsider@example.com"
