"""Two-factor sign-in in a real browser: a user adds an authenticator app on the account page
(the key read off the page, the codes computed as an app would), keeps the recovery codes, and
then signs in with the password and a code; browsers signed in before are signed out, and
"Sign out of all other browsers" ends the others."""

from __future__ import annotations

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import new_context, sign_in
from tests.e2e.server import PASSWORD, LiveServer
from tests.e2e.test_accessibility import assert_accessible
from tests.e2e.test_passwords import make_user

pytestmark = pytest.mark.e2e


def app_code(secret: str, later: int = 0) -> str:
    """What an authenticator app holding `secret` shows (`later` 30-second steps on)."""
    totp = TOTP(b32decode(secret))
    totp.time = time.time() + 30 * later
    return f"{totp.token():06d}"


def test_a_user_turns_on_two_factor_sign_in_then_signs_in_with_a_code(
    browser: Browser, designer_server: LiveServer
) -> None:
    server = designer_server
    make_user(server, "careful")
    page = sign_in(new_context(browser), server, "careful")
    before = sign_in(new_context(browser), server, "careful")  # with the password alone
    page.goto(f"{server.url}/tokens/")
    page.get_by_test_id("two-factor-begin").click()
    expect(page.get_by_test_id("two-factor-qr")).to_be_visible()
    assert_accessible(page, "the account page adding an authenticator app")
    secret = page.get_by_test_id("two-factor-secret").inner_text()
    page.get_by_test_id("two-factor-confirm-code").fill("000000")
    page.get_by_test_id("two-factor-confirm").click()
    expect(page.get_by_test_id("toast").last).to_contain_text("not right")
    page.get_by_test_id("two-factor-confirm-code").fill(app_code(secret))
    page.wait_for_timeout(1100)  # the wait after a wrong code (django-otp: 1 s, doubling)
    page.get_by_test_id("two-factor-confirm").click()
    codes = page.get_by_test_id("recovery-codes").locator("pre").inner_text().split()
    assert len(codes) == 10
    assert_accessible(page, "the account page showing recovery codes")
    expect(page.get_by_test_id("two-factor-on")).to_contain_text("10 recovery codes left")
    before.reload()  # signed out when two-factor sign-in was turned on
    before.wait_for_url(f"{server.url}/accounts/login/?next=/")
    before.context.close()

    other = new_context(browser).new_page()
    other.goto(f"{server.url}/accounts/login/")
    other.fill("#id_username", "careful")
    other.fill("#id_password", PASSWORD)
    other.click("button[type=submit]")
    other.wait_for_url(f"{server.url}/accounts/login/code/")
    assert_accessible(other, "the code page")
    other.fill("#id_code", app_code(secret, later=1))
    other.click("button[type=submit]")
    other.wait_for_url(f"{server.url}/")
    expect(other.get_by_test_id("current-user")).to_contain_text("careful")

    page.get_by_test_id("sign-out-elsewhere").click()
    expect(page.get_by_test_id("toast").last).to_contain_text("Signed out of 1 other browser.")
    other.reload()
    other.wait_for_url(f"{server.url}/accounts/login/?next=/")
    other.context.close()

    page.reload()
    page.get_by_test_id("two-factor-off-code").fill(codes[0])
    page.get_by_test_id("two-factor-off").click()
    expect(page.get_by_test_id("two-factor-begin")).to_be_visible()
    page.context.close()
