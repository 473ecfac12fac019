"""Signing out in one tab: the other tabs' live sockets close and their pages say so."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.e2e.server import LiveServer
from tests.e2e.test_coediting import TWO_NODES
from tests.e2e.test_editor import create_graph

pytestmark = pytest.mark.e2e


def test_signing_out_in_one_tab_tells_the_editor_in_another(
    alice: Page, designer_server: LiveServer
) -> None:
    graph = create_graph(alice, designer_server, "signed out elsewhere", TWO_NODES)
    editor = alice.context.new_page()
    editor.goto(f"{designer_server.url}/graphs/{graph}/")
    expect(editor.get_by_test_id("editor")).to_have_attribute("data-synced", "true")
    expect(editor.get_by_test_id("signed-out-banner")).to_have_count(0)

    alice.get_by_role("button", name="Sign out").click()
    alice.wait_for_url("**/accounts/login/")

    # The editor says so, or goes to the sign-in page (a REST call it made since, answered "not
    # signed in", goes there), to come back to this graph afterwards. It may say so and go a
    # moment later, so each look reads the whole page at once.
    login = f"/accounts/login/?next=%2Fgraphs%2F{graph}%2F"
    deadline = time.monotonic() + 10
    while not (editor.url.endswith(login) or _says_signed_out(editor)):
        assert time.monotonic() < deadline, f"neither signed out nor sent to sign in: {editor.url}"
        editor.wait_for_timeout(100)


def _says_signed_out(page: Page) -> bool:
    """Whether the editor shows the signed-out banner, its closed co-editing saying why and its
    document no longer synced (False while the page is navigating away)."""
    try:
        return bool(page.evaluate(SAYS_SIGNED_OUT))
    except PlaywrightError:
        return False


SAYS_SIGNED_OUT = """() => {
    const find = (id) => document.querySelector(`[data-testid=${id}]`);
    return Boolean(find("signed-out-banner"))
        && find("collab-closed")?.textContent.trim() === "You were signed out."
        && find("editor")?.dataset.synced === "false";
}"""
