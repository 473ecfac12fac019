"""The activity log in a real browser: an owner changes a member's role on the workspace page
and reads it, in words, on the workspace's Activity page; an editor finds no way in."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import api, new_context, sign_in
from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e


def carol_id(page: Page, server: LiveServer) -> int:
    members = api(page, server, "GET", f"/api/workspaces/{server.workspace}/members/")["results"]
    return next(m["user"]["id"] for m in members if m["user"]["username"] == "carol")


def test_an_owner_changes_a_role_and_sees_it_on_the_activity_page(
    alice: Page, browser: Browser, designer_server: LiveServer
) -> None:
    page, server = alice, designer_server
    carol = carol_id(page, server)
    try:
        page.goto(f"{server.url}/workspaces/{server.workspace}/")
        role = page.get_by_label("Role of carol")
        expect(role).to_have_value("viewer")
        role.select_option("editor")
        expect(role).to_have_value("editor")

        page.get_by_test_id("activity-link").click()
        page.wait_for_url(f"{server.url}/workspaces/{server.workspace}/activity/")
        newest = page.get_by_test_id("activity-entry").first
        expect(newest).to_contain_text("alice changed carol's role from viewer to editor")

        page.get_by_test_id("activity-action-filter").select_option("member_added")
        expect(page.get_by_text("Nothing matches.")).to_be_visible()
        page.get_by_test_id("activity-action-filter").select_option("member_role_changed")
        page.get_by_test_id("activity-user-filter").select_option(label="alice (you)")
        expect(page.get_by_test_id("activity-entry").first).to_contain_text(
            "alice changed carol's role from viewer to editor"
        )

        context = new_context(browser)
        bob = sign_in(context, server, "bob")  # an editor: no link, and the page is refused
        bob.goto(f"{server.url}/workspaces/{server.workspace}/")
        expect(bob.get_by_test_id("runs-link")).to_be_visible()
        expect(bob.get_by_test_id("activity-link")).to_have_count(0)
        bob.goto(f"{server.url}/workspaces/{server.workspace}/activity/")
        expect(bob.locator(".callout-error")).to_contain_text("needs the owner role")
        expect(bob.get_by_test_id("activity-entry")).to_have_count(0)
        context.close()
    finally:  # the other browser tests share the seeded workspace: carol is a viewer again
        path = f"/api/workspaces/{server.workspace}/members/{carol}/"
        api(page, server, "PATCH", path, {"role": "viewer"})


def test_a_viewer_leaves_the_workspace_and_the_owner_reads_it(
    alice: Page, browser: Browser, designer_server: LiveServer
) -> None:
    page, server = alice, designer_server
    context = new_context(browser)
    carol = sign_in(context, server, "carol")
    try:
        carol.goto(f"{server.url}/workspaces/{server.workspace}/")
        carol.once("dialog", lambda dialog: dialog.accept())
        carol.get_by_test_id("leave-workspace").click()
        carol.wait_for_url(f"{server.url}/")
        expect(carol.get_by_test_id("toast").last).to_contain_text("You left")
        carol.goto(f"{server.url}/workspaces/{server.workspace}/")
        expect(carol.locator(".callout-error")).to_be_visible()
        page.goto(f"{server.url}/workspaces/{server.workspace}/activity/")
        newest = page.get_by_test_id("activity-entry").first
        expect(newest).to_contain_text("carol left the workspace (viewer)")
    finally:  # the other browser tests share the seeded workspace: carol is a viewer again
        context.close()
        path = f"/api/workspaces/{server.workspace}/members/"
        api(page, server, "POST", path, {"user": "carol@example.com", "role": "viewer"})
