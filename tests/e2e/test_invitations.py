"""Inviting someone without an account in a real browser: the owner types an address, the
invited person opens the mailed link in a browser of their own, makes an account and lands in
the workspace; the owner sees them as a member."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import api, new_context
from tests.e2e.server import LiveServer
from tests.e2e.test_watch import confirmation_link
from tests.support.smtp import Inbox

pytestmark = pytest.mark.e2e


def test_an_owner_invites_an_address_and_the_invited_person_joins_with_a_new_account(
    alice: Page, browser: Browser, designer_server: LiveServer, inbox: Inbox
) -> None:
    page, server = alice, designer_server
    page.goto(f"{server.url}/workspaces/{server.workspace}/")
    page.get_by_test_id("invite-user").fill("dana@corp.example")
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_test_id("invite-submit").click()
    expect(page.get_by_test_id("toast").last).to_contain_text("an invitation was mailed")
    pending = page.get_by_test_id("invitation-dana@corp.example")
    expect(pending).to_contain_text("editor")
    expect(pending).to_contain_text("by alice")
    mailed = len(inbox.to("dana@corp.example"))
    page.get_by_test_id("resend-dana@corp.example").click()  # a new link; the first one dies
    expect(page.get_by_test_id("toast").last).to_contain_text("mailed again")
    deadline = time.monotonic() + 30
    while len(inbox.to("dana@corp.example")) == mailed:
        assert time.monotonic() < deadline
        time.sleep(0.1)

    context = new_context(browser)  # dana's own browser, signed in as nobody
    dana = context.new_page()
    dana.goto(confirmation_link(inbox, "dana@corp.example"))
    expect(dana.get_by_test_id("invitation")).to_contain_text("alice invited dana@corp.example")
    dana.fill("#id_username", "dana")
    dana.fill("#id_password1", "short")
    dana.fill("#id_password2", "short")
    dana.get_by_test_id("create-account").click()
    expect(dana.get_by_role("alert").first).to_contain_text("too short")
    dana.fill("#id_password1", "a-long-passphrase-9")
    dana.fill("#id_password2", "a-long-passphrase-9")
    dana.get_by_test_id("create-account").click()
    dana.wait_for_url(f"{server.url}/workspaces/{server.workspace}/")
    expect(dana.get_by_test_id("member-list")).to_contain_text("dana")
    context.close()

    page.reload()
    expect(page.get_by_test_id("member-list")).to_contain_text("dana")
    expect(page.get_by_test_id("invitation-list")).to_have_count(0)
    dana_id = next(
        m["user"]["id"]
        for m in api(page, server, "GET", f"/api/workspaces/{server.workspace}/members/")["results"]
        if m["user"]["username"] == "dana"
    )
    api(page, server, "DELETE", f"/api/workspaces/{server.workspace}/members/{dana_id}/")
