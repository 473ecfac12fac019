"""Two-factor sign-in through the real API and pages: an authenticator app added from the
account page, then the password alone no longer signs in; a code or a recovery code does."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.integration.api.conftest import Team

pytestmark = pytest.mark.django_db
PASSWORD = "pw-123456789"


def code_now(user: Any, later: int = 0) -> str:
    """The code the user's authenticator app shows (`later` steps on), as the server counts
    steps: with the drift it learnt, and never a step it took already (`last_t`)."""
    device = TOTPDevice.objects.get(user=user)
    now = int(time.time() - device.t0) // device.step + device.drift
    return f"{hotp(device.bin_key, max(now + later, device.last_t + 1), device.digits):06d}"


def session(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def turn_on(user: Any) -> list[str]:
    """Add an app and confirm it from a signed-in session; the recovery codes."""
    browser = session(user)
    enrolment = browser.post("/api/me/two-factor/").json()
    assert enrolment["config_url"].startswith("otpauth://totp/")
    assert enrolment["qr_svg"].lstrip().startswith("<") and "svg" in enrolment["qr_svg"]
    confirmed = browser.post(
        "/api/me/two-factor/confirm/", {"code": code_now(user)}, content_type="application/json"
    )
    assert confirmed.status_code == 200, confirmed.json()
    return confirmed.json()["recovery_codes"]


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: str) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


def signed_in(client: Client) -> bool:
    return client.get("/api/me/").status_code == 200


def test_after_turning_it_on_the_password_alone_does_not_sign_in(team: Team, settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after the wrong code (tests/security's)
    viewer = team.users["viewer"]
    codes = turn_on(viewer)
    assert len(codes) == 10 and len(set(codes)) == 10
    state = session(viewer).get("/api/me/two-factor/").json()
    assert state == {"enabled": True, "recovery_codes_left": 10}

    browser = Client()
    step = sign_in(browser, "viewer", next="/graphs/1/")
    assert step.status_code == 302 and step["Location"] == "/accounts/login/code/"
    assert not signed_in(browser)
    page = browser.get("/accounts/login/code/")
    assert page.status_code == 200 and b"Signing in as <strong>viewer</strong>" in page.content
    wrong = browser.post("/accounts/login/code/", {"code": "000000"})
    assert wrong.status_code == 400 and b"not right" in wrong.content
    assert not signed_in(browser)
    done = browser.post("/accounts/login/code/", {"code": code_now(viewer, later=1)})
    assert done.status_code == 302 and done["Location"] == "/graphs/1/"
    assert signed_in(browser)


def test_a_recovery_code_signs_in_once(team: Team) -> None:
    viewer = team.users["viewer"]
    codes = turn_on(viewer)
    browser = Client()
    sign_in(browser, "viewer")
    assert browser.post("/accounts/login/code/", {"code": codes[0]}).status_code == 302
    assert signed_in(browser)
    again = Client()
    sign_in(again, "viewer")
    reused = again.post("/accounts/login/code/", {"code": codes[0]})
    assert reused.status_code == 400 and not signed_in(again)
    assert session(viewer).get("/api/me/two-factor/").json()["recovery_codes_left"] == 9


def test_confirming_needs_a_code_from_the_app_just_added(team: Team) -> None:
    viewer = team.users["viewer"]
    browser = session(viewer)
    browser.post("/api/me/two-factor/")
    wrong = browser.post(
        "/api/me/two-factor/confirm/", {"code": "123456"}, content_type="application/json"
    )
    assert wrong.status_code == 400 and wrong.json()["issues"][0]["field"] == "code"
    assert browser.get("/api/me/two-factor/").json()["enabled"] is False
    browser2 = Client()
    assert sign_in(browser2, "viewer").status_code == 302 and signed_in(browser2)  # still off


def test_turning_it_off_or_new_recovery_codes_need_a_code(team: Team) -> None:
    viewer = team.users["viewer"]
    old = turn_on(viewer)
    browser = session(viewer)
    refused = browser.post(
        "/api/me/two-factor/off/", {"code": "999999"}, content_type="application/json"
    )
    assert refused.status_code == 400
    fresh = browser.post(
        "/api/me/two-factor/recovery-codes/", {"code": old[0]}, content_type="application/json"
    )
    new = fresh.json()["recovery_codes"]
    assert fresh.status_code == 200 and not set(new) & set(old)
    off = browser.post("/api/me/two-factor/off/", {"code": new[0]}, content_type="application/json")
    assert off.status_code == 204
    assert browser.get("/api/me/two-factor/").json() == {"enabled": False, "recovery_codes_left": 0}
    plain = Client()
    assert sign_in(plain, "viewer").status_code == 302 and signed_in(plain)


def test_tokens_cannot_turn_it_on_or_off(team: Team) -> None:
    token = team.client("viewer")
    assert token.get("/api/me/two-factor/").status_code == 200
    for path in ("", "confirm/", "recovery-codes/", "off/"):
        answer = token.post(f"/api/me/two-factor/{path}", {"code": "123456"}, format="json")
        assert answer.status_code == 403, path


def test_the_admin_sign_in_refuses_the_password_alone_of_such_an_account(team: Team) -> None:
    owner = team.users["owner"]
    get_user_model().objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    turn_on(owner)
    admin = Client()
    answer = admin.post("/admin/login/", {"username": "owner", "password": PASSWORD})
    assert answer.status_code == 200 and b"signs in with a code" in answer.content
    assert admin.get("/admin/").status_code == 302  # not signed in
    sign_in(admin, "owner", next="/admin/")
    admin.post("/accounts/login/code/", {"code": code_now(owner, later=1)})
    assert admin.get("/admin/").status_code == 200


def test_signing_out_elsewhere_ends_every_other_browser_but_not_tokens(team: Team) -> None:
    viewer = team.users["viewer"]
    here, there, again = Client(), Client(), Client()
    for browser in (here, there, again):
        assert sign_in(browser, "viewer").status_code == 302
    other_user = Client()
    sign_in(other_user, "editor")
    answer = here.post("/api/me/sign-out-elsewhere/")
    assert answer.status_code == 200 and answer.json() == {"signed_out": 2}
    assert signed_in(here) and not signed_in(there) and not signed_in(again)
    assert signed_in(other_user)
    assert team.client("viewer").get("/api/me/").status_code == 200  # a token is no session
    assert team.client("viewer").post("/api/me/sign-out-elsewhere/").status_code == 403
    assert viewer.is_active


def test_turning_it_on_signs_out_the_browsers_signed_in_with_the_password_alone(
    team: Team,
) -> None:
    viewer = team.users["viewer"]
    elsewhere = Client()
    sign_in(elsewhere, "viewer")
    here = Client()
    sign_in(here, "viewer")
    here.post("/api/me/two-factor/")
    confirmed = here.post(
        "/api/me/two-factor/confirm/", {"code": code_now(viewer)}, content_type="application/json"
    )
    assert confirmed.status_code == 200
    assert signed_in(here) and not signed_in(elsewhere)
