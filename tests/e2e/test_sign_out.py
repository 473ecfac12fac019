"""Signing out in one tab: the other tabs' live sockets close and their pages say so."""

from __future__ import annotations

import pytest
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

    # The editor says so, or has gone to the sign-in page already (a REST call it made since,
    # answered "not signed in", goes there), to come back to this graph afterwards.
    banner = editor.get_by_test_id("signed-out-banner")
    expect(banner.or_(editor.get_by_role("heading", name="Sign in"))).to_be_visible()
    if banner.count():
        expect(editor.get_by_test_id("collab-closed")).to_have_text("You were signed out.")
        expect(editor.get_by_test_id("editor")).to_have_attribute("data-synced", "false")
    else:
        assert editor.url.endswith(f"/accounts/login/?next=%2Fgraphs%2F{graph}%2F"), editor.url
