"""An attacker with an account cannot take someone's address or an invitation meant for them.

Invitations find people by e-mail address, so an address is an account's only once a link
mailed to it was opened by that account; invitation links are bearer secrets that only the
invited mailbox ever sees.
"""

from __future__ import annotations

import pytest

from designer.accounts import services
from designer.accounts.models import Invitation
from tests.integration.api.conftest import PUBLIC, Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.conftest import inbox as inbox
from tests.integration.api.test_accounts import mailed_link, signed_in
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def test_claiming_an_address_gets_the_attacker_no_invitation_sent_to_it(
    team: Team, inbox: Inbox
) -> None:
    attacker = team.users["outsider"]
    claimed = signed_in(attacker).patch(
        "/api/me/", {"email": "cfo@corp.com"}, content_type="application/json"
    )
    assert claimed.status_code == 200
    attacker.refresh_from_db()
    assert attacker.email == "outsider@example.com"  # the link went to the real mailbox
    assert inbox.to("cfo@corp.com") and not inbox.to("outsider@example.com")
    invited = team.client("owner").post(
        f"/api/workspaces/{team.workspace.pk}/members/",
        {"user": "cfo@corp.com", "role": "owner"},
        format="json",
    )
    assert invited.status_code == 202  # an invitation to the mailbox, not the attacker added
    assert not team.workspace.memberships.filter(user=attacker).exists()


def test_a_confirmation_link_opened_by_its_victim_changes_no_account(
    team: Team, inbox: Inbox
) -> None:
    attacker, victim = team.users["outsider"], team.users["viewer"]
    signed_in(attacker).patch("/api/me/", {"email": "v@x.org"}, content_type="application/json")
    path = mailed_link(inbox, "v@x.org")
    tricked = signed_in(victim)
    assert tricked.get(path).status_code == 400
    refused = tricked.post(path)
    assert refused.status_code == 400 and b"another account" in refused.content
    attacker.refresh_from_db()
    victim.refresh_from_db()
    assert (attacker.email, victim.email) == ("outsider@example.com", "viewer@example.com")


def test_a_forged_or_altered_confirmation_link_is_refused(team: Team, inbox: Inbox) -> None:
    attacker = signed_in(team.users["outsider"])
    attacker.patch("/api/me/", {"email": "mine@x.org"}, content_type="application/json")
    path = mailed_link(inbox, "mine@x.org")
    token = path.split("/")[-2]
    payload, rest = token.split(":", 1)
    for forged in (payload[:-2] + "AA:" + rest, token[:-3] + "xyz", "e30:1:abc"):
        answer = attacker.post(f"/accounts/address/{forged}/")
        assert answer.status_code == 400 and b"not valid" in answer.content
    team.users["outsider"].refresh_from_db()
    assert team.users["outsider"].email == "outsider@example.com"


def test_invitation_links_are_never_shown_nor_stored(team: Team, inbox: Inbox) -> None:
    answer = team.client("owner").post(
        f"/api/workspaces/{team.workspace.pk}/members/",
        {"user": "new@corp.com", "role": "viewer"},
        format="json",
    )
    raw = mailed_link(inbox, "new@corp.com").split("/")[-2]
    listed = team.client("owner").get(f"/api/workspaces/{team.workspace.pk}/invitations/")
    for body in (answer.content, listed.content):
        assert raw.encode() not in body
    assert raw not in str(list(Invitation.objects.values()))


def test_outsiders_cannot_tell_invitations_exist_nor_revoke_them(team: Team, inbox: Inbox) -> None:
    team.client("owner").post(
        f"/api/workspaces/{team.workspace.pk}/members/",
        {"user": "new@corp.com", "role": "viewer"},
        format="json",
    )
    pending = Invitation.objects.get()
    outsider = team.client("outsider")
    own = f"/api/workspaces/{team.foreign.pk}/invitations/{pending.pk}/"
    theirs = f"/api/workspaces/{team.workspace.pk}/invitations/{pending.pk}/"
    missing = f"/api/workspaces/{team.workspace.pk}/invitations/999999/"
    assert outsider.delete(own).status_code == 404  # not pending in the outsider's workspace
    assert outsider.delete(theirs).json() == outsider.delete(missing).json()
    assert Invitation.objects.filter(pk=pending.pk).exists()


def test_nobody_mail_bombs_an_address_through_invitations(
    team: Team, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any user can make workspaces; the bound is per inviter, across all of them."""
    monkeypatch.setattr(services, "MAILS_PER_HOUR", 3)
    outsider = team.client("outsider")
    codes = []
    for n in range(5):
        workspace = outsider.post("/api/workspaces/", {"name": f"W{n}"}, format="json").json()
        answer = outsider.post(
            f"/api/workspaces/{workspace['id']}/members/",
            {"user": "victim@corp.com", "role": "viewer"},
            format="json",
        )
        codes.append(answer.status_code)
    assert codes == [202, 202, 202, 429, 429]
    assert len(inbox.wait(3)) == 3


def test_an_invitation_used_once_cannot_be_used_by_someone_else(team: Team, inbox: Inbox) -> None:
    team.client("owner").post(
        f"/api/workspaces/{team.workspace.pk}/members/",
        {"user": "new@corp.com", "role": "editor"},
        format="json",
    )
    path = mailed_link(inbox, "new@corp.com")
    assert signed_in(team.users["viewer"]).post(path).status_code == 302
    late = signed_in(team.users["outsider"]).post(path)
    assert late.status_code == 400
    assert not team.workspace.memberships.filter(user=team.users["outsider"]).exists()
