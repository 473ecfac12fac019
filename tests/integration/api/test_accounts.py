"""Accounts on a team server, through the real API, pages and a real SMTP server: a new address
is set once the link mailed to it is opened, and an address no account has is invited by mail."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from designer.accounts import addresses, services
from designer.accounts.models import Invitation
from designer.activity.models import ActivityEntry
from designer.notifications.sender import DISABLED
from designer.workspaces.models import Membership
from tests.integration.api.conftest import PUBLIC, Team
from tests.support.processes import free_port
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_mail(settings: Any) -> None:
    """The server has no EMAIL_HOST."""
    settings.EMAIL_BACKEND = DISABLED


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def mailed_link(inbox: Inbox, address: str, count: int = 1) -> str:
    """The path of the link in the last mail to `address` (after `count` mails arrived)."""
    inbox.wait(count)
    body = inbox.to(address)[-1].get_content()
    url = re.search(rf"{re.escape(PUBLIC)}(/accounts/\S+/)", body)
    assert url, body
    return url.group(1)


def invite(team: Team, user: str, role: str = "editor") -> Any:
    return team.client("owner").post(
        f"/api/workspaces/{team.workspace.pk}/members/", {"user": user, "role": role}, format="json"
    )


def actions(team: Team) -> list[str]:
    entries = ActivityEntry.objects.filter(workspace=team.workspace).order_by("id")
    return list(entries.values_list("action", flat=True))


# --- a user's own address -------------------------------------------------------------------


def test_a_new_address_is_set_only_once_the_link_mailed_to_it_is_opened(
    team: Team, inbox: Inbox
) -> None:
    viewer = team.users["viewer"]
    browser = signed_in(viewer)
    answer = browser.patch("/api/me/", {"email": "v@x.org"}, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["email"] == "viewer@example.com"  # unchanged until confirmed
    assert answer.json()["confirmation_sent_to"] == "v@x.org"
    path = mailed_link(inbox, "v@x.org")
    assert "open this link while signed in as viewer" in inbox.to("v@x.org")[0].get_content()
    page = browser.get(path)
    assert page.status_code == 200 and b"v@x.org" in page.content
    viewer.refresh_from_db()
    assert viewer.email == "viewer@example.com"  # opening the page sets nothing
    assert browser.post(path).status_code == 200
    viewer.refresh_from_db()
    assert viewer.email == "v@x.org"
    assert browser.post(path).status_code == 200  # opened twice: still that address
    assert browser.get("/api/me/").json()["email"] == "v@x.org"


def test_a_link_opened_by_nobody_signed_in_asks_to_sign_in_first(team: Team, inbox: Inbox) -> None:
    browser = signed_in(team.users["viewer"])
    browser.patch("/api/me/", {"email": "v@x.org"}, content_type="application/json")
    path = mailed_link(inbox, "v@x.org")
    answer = Client().get(path)
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/?next=")


def test_clearing_an_address_needs_no_mail_and_a_taken_or_wrong_one_is_refused(
    team: Team, inbox: Inbox
) -> None:
    browser = signed_in(team.users["viewer"])
    cleared = browser.patch("/api/me/", {"email": ""}, content_type="application/json")
    assert cleared.json()["email"] == "" and cleared.json()["confirmation_sent_to"] == ""
    taken = browser.patch(
        "/api/me/", {"email": "OWNER@example.com"}, content_type="application/json"
    )
    assert taken.status_code == 400 and taken.json()["issues"][0]["field"] == "email"
    wrong = browser.patch("/api/me/", {"email": "not an address"}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json()["issues"][0]["field"] == "email"
    assert inbox.received == []


def test_an_api_token_cannot_change_where_mail_goes(team: Team, inbox: Inbox) -> None:
    refused = team.client("viewer").patch("/api/me/", {"email": "v@x.org"}, format="json")
    assert refused.status_code == 403
    assert inbox.received == []


def test_without_mail_a_new_address_is_refused_with_the_reason(team: Team, no_mail: None) -> None:
    browser = signed_in(team.users["viewer"])
    answer = browser.patch("/api/me/", {"email": "v@x.org"}, content_type="application/json")
    assert answer.status_code == 409 and answer.json()["code"] == "no_mail"
    assert "administrator" in answer.json()["detail"]
    assert answer.json()["issues"][0]["field"] == "email"
    team.users["viewer"].refresh_from_db()
    assert team.users["viewer"].email == "viewer@example.com"


def test_a_mail_server_that_is_down_changes_nothing(
    team: Team, inbox: Inbox, settings: Any
) -> None:
    settings.EMAIL_PORT = free_port()  # nobody listens there
    browser = signed_in(team.users["viewer"])
    answer = browser.patch("/api/me/", {"email": "v@x.org"}, content_type="application/json")
    assert answer.status_code == 503 and answer.json()["code"] == "mail_failed"
    assert "Traceback" not in answer.content.decode()
    invited = invite(team, "new@corp.com")
    assert invited.status_code == 503
    assert not Invitation.objects.exists() and "invitation_sent" not in actions(team)


def test_an_expired_link_or_one_whose_address_was_taken_meanwhile_is_refused(
    team: Team, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = signed_in(team.users["viewer"])
    browser.patch("/api/me/", {"email": "v@x.org"}, content_type="application/json")
    path = mailed_link(inbox, "v@x.org")
    monkeypatch.setattr(addresses, "VALID_FOR", timedelta(seconds=-1))
    expired = browser.post(path)
    assert expired.status_code == 400 and b"expired" in expired.content
    monkeypatch.undo()
    editor = team.users["editor"]
    editor.email = "v@x.org"
    editor.save()
    taken = browser.post(path)
    assert taken.status_code == 400 and b"Another account" in taken.content
    team.users["viewer"].refresh_from_db()
    assert team.users["viewer"].email == "viewer@example.com"


# --- invitations ----------------------------------------------------------------------------


def test_an_address_without_an_account_is_invited_and_joins_with_a_new_account(
    team: Team, inbox: Inbox
) -> None:
    answer = invite(team, "New.Person@Corp.com", "editor")
    assert answer.status_code == 202
    invitation = answer.json()
    assert invitation["email"] == "new.person@corp.com" and invitation["role"] == "editor"
    assert invitation["invited_by"] == "owner" and invitation["expired"] is False
    mail = inbox.wait(1)[0][1]
    assert mail["Subject"].strip() == "owner invited you to “Team” on Pipeline designer"
    path = mailed_link(inbox, "new.person@corp.com")
    listed = team.client("owner").get(f"/api/workspaces/{team.workspace.pk}/invitations/").json()
    assert [row["email"] for row in listed["results"]] == ["new.person@corp.com"]

    browser = Client()
    page = browser.get(path)
    assert page.status_code == 200 and "Join “Team”".encode() in page.content
    mismatch = browser.post(
        path, {"username": "newbie", "password1": "a-long-pass-1", "password2": "other-pass-2"}
    )
    assert mismatch.status_code == 200 and b"didn" in mismatch.content  # "didn't match"
    assert not get_user_model().objects.filter(username="newbie").exists()
    taken = browser.post(
        path, {"username": "owner", "password1": "a-long-pass-1", "password2": "a-long-pass-1"}
    )
    assert taken.status_code == 200 and b"already exists" in taken.content
    joined = browser.post(
        path, {"username": "newbie", "password1": "a-long-pass-1", "password2": "a-long-pass-1"}
    )
    assert joined.status_code == 302 and joined["Location"] == f"/workspaces/{team.workspace.pk}/"
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "new.person@corp.com" and user.check_password("a-long-pass-1")
    assert Membership.objects.get(workspace=team.workspace, user=user).role == "editor"
    assert browser.get("/api/me/").json()["username"] == "newbie"  # signed in
    assert actions(team)[-2:] == ["invitation_sent", "member_joined"]
    assert not Invitation.objects.exists()
    used = Client().get(path)
    assert used.status_code == 400 and b"no longer valid" in used.content


def test_someone_signed_in_joins_with_their_own_account(team: Team, inbox: Inbox) -> None:
    bob = get_user_model().objects.create_user("bob", "", "pw-123456789")
    invite(team, "bob@home.org", "viewer")
    path = mailed_link(inbox, "bob@home.org")
    browser = signed_in(bob)
    page = browser.get(path)
    assert (
        b"Join as bob" in page.content and b"Sign out to join with another account" in page.content
    )
    assert browser.post(path).status_code == 302
    assert Membership.objects.get(workspace=team.workspace, user=bob).role == "viewer"


def test_an_account_added_by_address_or_username_is_told_by_mail(
    team: Team, inbox: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        answer = invite(team, "outsider@example.com", "viewer")
    assert answer.status_code == 201 and answer.json()["user"]["username"] == "outsider"
    mail = inbox.wait(1)[0][1]
    assert mail["To"] == "outsider@example.com"
    assert mail["Subject"].strip() == "owner added you to “Team” on Pipeline designer"
    assert f"{PUBLIC}/workspaces/{team.workspace.pk}/" in mail.get_content()
    second = team.client("owner").post("/api/workspaces/", {"name": "Second"}, format="json")
    members = f"/api/workspaces/{second.json()['id']}/members/"
    with django_capture_on_commit_callbacks(execute=True):
        by_name = team.client("owner").post(
            members, {"user": "editor", "role": "viewer"}, format="json"
        )
    assert by_name.status_code == 201
    assert inbox.wait(2)[1][0] == ["editor@example.com"]
    viewer = team.users["viewer"]
    viewer.email = ""
    viewer.save()
    with django_capture_on_commit_callbacks(execute=True):  # no address: added, no mail
        added = team.client("owner").post(
            members, {"user": "viewer", "role": "viewer"}, format="json"
        )
    assert added.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):  # a barrier: mails go in order
        team.client("owner").post(members, {"user": "outsider", "role": "viewer"}, format="json")
    assert [rcpt for rcpt, _ in inbox.wait(3)] == [
        ["outsider@example.com"],
        ["editor@example.com"],
        ["outsider@example.com"],
    ]


def test_inviting_again_replaces_the_link_and_revoking_kills_it(team: Team, inbox: Inbox) -> None:
    invite(team, "new@corp.com", "viewer")
    first = mailed_link(inbox, "new@corp.com", 1)
    invite(team, "new@corp.com", "editor")
    second = mailed_link(inbox, "new@corp.com", 2)
    assert Client().get(first).status_code == 400
    assert Invitation.objects.get().role == "editor"
    assert Client().get(second).status_code == 200
    pending = Invitation.objects.get()
    url = f"/api/workspaces/{team.workspace.pk}/invitations/{pending.pk}/"
    assert team.client("editor").delete(url).status_code == 403
    assert team.client("owner").delete(url).status_code == 204
    assert team.client("owner").delete(url).status_code == 404
    assert Client().get(second).status_code == 400
    assert actions(team)[-3:] == ["invitation_sent", "invitation_sent", "invitation_revoked"]


def test_an_expired_invitation_is_refused_and_listed_as_expired(team: Team, inbox: Inbox) -> None:
    invite(team, "new@corp.com")
    path = mailed_link(inbox, "new@corp.com")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = Client().get(path)
    assert answer.status_code == 400 and b"expired" in answer.content
    listed = team.client("owner").get(f"/api/workspaces/{team.workspace.pk}/invitations/").json()
    assert listed["results"][0]["expired"] is True


def test_without_mail_an_unknown_address_is_refused_with_the_reason(
    team: Team, no_mail: None
) -> None:
    answer = invite(team, "new@corp.com")
    assert answer.status_code == 400
    assert "sends no mail" in answer.json()["issues"][0]["message"]
    assert not Invitation.objects.exists()


def test_an_owner_sends_a_bounded_number_of_invitations_an_hour(
    team: Team, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAILS_PER_HOUR", 2)
    assert invite(team, "a@corp.com").status_code == 202
    assert invite(team, "b@corp.com").status_code == 202
    third = invite(team, "c@corp.com")
    assert third.status_code == 429 and third.json()["code"] == "too_many_mails"
    assert 3000 < int(third["Retry-After"]) <= 3600
    assert len(inbox.wait(2)) == 2 and Invitation.objects.count() == 2


def test_only_owners_see_invitations(team: Team, inbox: Inbox) -> None:
    invite(team, "new@corp.com")
    url = f"/api/workspaces/{team.workspace.pk}/invitations/"
    assert team.client("editor").get(url).status_code == 403
    assert team.client("viewer").get(url).status_code == 403
    assert team.client("outsider").get(url).status_code == 404
