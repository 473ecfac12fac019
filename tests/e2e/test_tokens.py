"""Personal API tokens in a real browser: made from the top bar, used from a shell, revoked."""

from __future__ import annotations

import json
import subprocess

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e


def curl(example: str) -> subprocess.CompletedProcess[str]:
    command = example + " --silent --write-out '\\n%{http_code}'"
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)


def test_a_token_made_in_the_page_signs_a_script_in_until_it_is_revoked(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    expect(page.get_by_test_id("current-user")).to_have_attribute("href", "/tokens/")  # every page
    page.get_by_test_id("tokens-link").click()
    page.wait_for_url(f"{designer_server.url}/tokens/")
    page.get_by_test_id("token-name").fill("laptop script")
    page.get_by_test_id("create-token").click()
    token = page.get_by_test_id("new-token-value").inner_text()
    assert token.startswith("dsn_")
    example = page.get_by_test_id("token-example").inner_text()
    assert token in example

    body, status = curl(example).stdout.rsplit("\n", 1)
    assert status == "200"
    assert "Research" in [w["name"] for w in json.loads(body)["results"]]
    row = page.get_by_test_id("token-list").locator("tr", has_text="laptop script")
    expect(row).to_contain_text(token[:12])

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("revoked")
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    assert curl(example).stdout.rsplit("\n", 1)[1] == "401"
