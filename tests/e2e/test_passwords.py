"""Passwords in a real browser: reset a forgotten one from the sign-in page through the mailed
link, and change one's own from the account page (another browser is signed out)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import new_context, sign_in
from tests.e2e.server import PASSWORD, ROOT, LiveServer
from tests.support.smtp import Inbox

pytestmark = pytest.mark.e2e
NEW = "a brand new passphrase 9"
SCREENSHOTS = os.environ.get("DESIGNER_SCREENSHOTS")  # where to save pictures of the pages

_USER = """
import sys
import django
django.setup()
from django.contrib.auth import get_user_model
get_user_model().objects.create_user(sys.argv[1], sys.argv[1] + "@example.com", sys.argv[2])
"""


def make_user(server: LiveServer, name: str) -> None:
    """A user of its own (the others' passwords stay as every other test expects)."""
    subprocess.run(
        [sys.executable, "-c", _USER, name, PASSWORD], cwd=ROOT, env=server.env(), check=True
    )


def sign_in_with(page: Page, server: LiveServer, name: str, password: str) -> None:
    page.fill("#id_username", name)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")


def test_a_user_who_forgot_the_password_resets_it_through_the_mailed_link(
    browser: Browser, designer_server: LiveServer, inbox: Inbox
) -> None:
    server = designer_server
    make_user(server, "forgetful")
    page = new_context(browser).new_page()
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url(f"{server.url}/accounts/password/reset/")
    page.get_by_label("Email").fill("forgetful@example.com")
    already = len(inbox.received)
    page.get_by_role("button", name="Mail me a link").click()
    page.wait_for_url(f"{server.url}/accounts/password/reset/sent/")
    expect(page.get_by_role("heading")).to_have_text("Check your mail")

    received = inbox.wait(already + 1)
    (mail,) = [mail for to, mail in received[already:] if to == ["forgetful@example.com"]]
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.get_content())
    assert link and link.group(0).startswith(f"{server.url}/accounts/password/reset/")
    page.goto(link.group(0))
    expect(page.get_by_role("heading")).to_have_text("Set a new password")
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password confirmation").fill(NEW)
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/password-reset.png")
    page.get_by_role("button", name="Set password").click()
    page.wait_for_url(f"{server.url}/accounts/password/reset/complete/")

    page.get_by_role("link", name="Sign in").click()
    sign_in_with(page, server, "forgetful", NEW)
    expect(page.get_by_test_id("current-user")).to_contain_text("forgetful")

    page.goto(link.group(0))  # the link worked once
    expect(page.get_by_role("heading")).to_have_text("This link does not work")
    page.context.close()


def test_a_user_changes_the_password_from_the_account_page_and_another_browser_is_signed_out(
    browser: Browser, designer_server: LiveServer
) -> None:
    server = designer_server
    make_user(server, "changer")
    page = sign_in(new_context(browser), server, "changer")
    elsewhere = sign_in(new_context(browser), server, "changer")

    page.get_by_test_id("current-user").click()
    page.wait_for_url(f"{server.url}/tokens/")
    page.get_by_test_id("change-password").click()
    page.wait_for_url(f"{server.url}/accounts/password/")
    page.get_by_label("Old password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password confirmation").fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_test_id("error-old_password")).to_contain_text("entered incorrectly")
    expect(page.get_by_test_id("error-new_password2").first).to_contain_text("too short")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/password-change.png")

    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password confirmation").fill(NEW)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(f"{server.url}/accounts/password/done/")
    expect(page.get_by_role("heading")).to_have_text("Password changed")
    page.get_by_role("link", name="Back to the app").click()
    page.wait_for_url(f"{server.url}/")
    expect(page.get_by_test_id("current-user")).to_contain_text("changer")  # still signed in

    elsewhere.reload()
    elsewhere.wait_for_url(f"{server.url}/accounts/login/?next=/")
    sign_in_with(elsewhere, server, "changer", NEW)
    page.context.close()
    elsewhere.context.close()
