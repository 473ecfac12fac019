"""An attacker who has a victim's password but not their authenticator gets no session:
not by skipping the code page, guessing codes, replaying a seen code, or using another
account's recovery code."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from designer.accounts import sign_in as sign_in_module
from tests.integration.api.conftest import (  # noqa: F401
    PUBLIC,
    Team,
    fast_passwords,
    make_team,
    sending_mail,
)
from tests.integration.api.test_passwords import NEW, mailed_link
from tests.integration.api.test_two_factor import code_now, sign_in, signed_in, turn_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def test_the_password_step_alone_opens_no_page_and_no_api(team: Team) -> None:
    turn_on(team.users["viewer"])
    attacker = Client()
    assert sign_in(attacker, "viewer").status_code == 302
    assert attacker.get("/api/me/").status_code in (401, 403)
    assert attacker.get(f"/workspaces/{team.workspace.pk}/")["Location"].startswith(
        "/accounts/login/"
    )
    assert Client().get("/accounts/login/code/")["Location"] == "/accounts/login/"


def test_guessing_codes_is_slowed_then_sends_back_to_the_password(
    team: Team, settings: Any
) -> None:
    """django-otp doubles an app's wait after each wrong code (factor * 2^(n-1) seconds; 30 here
    so that the test does not race the clock), and five wrong tries end the half-done sign-in."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 30
    viewer = team.users["viewer"]
    turn_on(viewer)
    attacker = Client()
    sign_in(attacker, "viewer")
    assert attacker.post("/accounts/login/code/", {"code": "000000"}).status_code == 400
    slowed = attacker.post("/accounts/login/code/", {"code": code_now(viewer, later=1)})
    assert slowed.status_code == 400 and b"Too many wrong codes" in slowed.content
    assert not signed_in(attacker)
    for _ in range(3):
        attacker.post("/accounts/login/code/", {"code": "000000"})
    assert attacker.get("/accounts/login/code/")["Location"] == "/accounts/login/"


def test_a_code_seen_once_cannot_be_used_again(team: Team) -> None:
    viewer = team.users["viewer"]
    turn_on(viewer)
    code = code_now(viewer, later=1)
    victim = Client()
    sign_in(victim, "viewer")
    assert victim.post("/accounts/login/code/", {"code": code}).status_code == 302
    attacker = Client()  # read the code over the victim's shoulder, has the password
    sign_in(attacker, "viewer")
    assert attacker.post("/accounts/login/code/", {"code": code}).status_code == 400
    assert not signed_in(attacker)


def test_another_accounts_recovery_code_signs_no_one_in(team: Team) -> None:
    turn_on(team.users["viewer"])
    mine = turn_on(team.users["outsider"])
    attacker = Client()
    sign_in(attacker, "viewer")
    assert attacker.post("/accounts/login/code/", {"code": mine[0]}).status_code == 400
    assert not signed_in(attacker)


def test_a_half_done_sign_in_expires_and_the_session_key_changes_at_the_end(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = team.users["viewer"]
    turn_on(viewer)
    browser = Client()
    sign_in(browser, "viewer")
    before = browser.session.session_key
    assert browser.post("/accounts/login/code/", {"code": code_now(viewer, 1)}).status_code == 302
    assert browser.session.session_key != before  # no fixation across the second step
    late = Client()
    monkeypatch.setattr(sign_in_module, "PENDING_SECONDS", -1)
    sign_in(late, "viewer")
    assert late.post("/accounts/login/code/", {"code": code_now(viewer, 2)}).status_code == 302
    assert late.get("/api/me/").status_code in (401, 403)  # sent back to the password


def test_a_password_reset_from_the_mailbox_signs_no_one_in_past_the_code(
    team: Team, settings: Any
) -> None:
    """Someone who reads the victim's mail resets the password: the reset page signs them in
    nowhere, and the new password alone still stops at the code page."""
    cache.clear()  # no reset mail held back by an earlier test's
    with sending_mail(settings) as inbox:
        viewer = team.users["viewer"]
        turn_on(viewer)
        attacker = Client()
        link = mailed_link(inbox, viewer.email).removeprefix(PUBLIC)
        opened = attacker.get(link)
        done = attacker.post(opened["Location"], {"new_password1": NEW, "new_password2": NEW})
        assert done.status_code == 302
        assert not signed_in(attacker)
        assert sign_in(attacker, "viewer", NEW)["Location"] == "/accounts/login/code/"
        assert not signed_in(attacker)
