"""Watching a pipeline in a browser: set an address, ring the bell, get the failed run's mail."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import api
from tests.e2e.server import LiveServer
from tests.e2e.test_editor import FIVE_STEPS, create_graph
from tests.e2e.test_runs import BROKEN, run_and_wait, with_script
from tests.support.smtp import Inbox

pytestmark = pytest.mark.e2e


def confirmation_link(inbox: Inbox, address: str) -> str:
    """The link of the newest mail to `address` (waiting for it)."""
    deadline = time.monotonic() + 30
    while not inbox.to(address):
        assert time.monotonic() < deadline, f"no mail to {address}"
        time.sleep(0.1)
    found = re.search(r"(http\S+/accounts/\S+/)", inbox.to(address)[-1].get_content())
    assert found
    return found.group(1)


def test_a_member_sets_an_address_watches_a_pipeline_and_follows_the_mail_to_the_failed_run(
    alice: Page, designer_server: LiveServer, inbox: Inbox
) -> None:
    page, server = alice, designer_server
    api(page, server, "PATCH", "/api/me/", {"email": ""})
    graph = create_graph(page, server, "Nightly churn", with_script(FIVE_STEPS, BROKEN))
    page.goto(f"{server.url}/graphs/{graph}/runs/")
    bell = page.get_by_test_id("watch-button")
    expect(bell).to_have_text("Watch")
    bell.click()
    expect(page.get_by_test_id("watch-no-email")).to_contain_text("no e-mail address")
    page.get_by_test_id("watch-no-email").get_by_role("link").click()

    page.wait_for_url(f"{server.url}/tokens/")
    page.get_by_test_id("account-email").fill("alice.notices@example.com")
    page.get_by_test_id("account-email-save").click()
    expect(page.get_by_test_id("account-email-pending")).to_contain_text(
        "alice.notices@example.com"
    )
    page.goto(confirmation_link(inbox, "alice.notices@example.com"))
    page.get_by_test_id("confirm-address").click()
    expect(page.get_by_test_id("address-confirmed")).to_contain_text("alice.notices@example.com")

    page.goto(f"{server.url}/graphs/{graph}/runs/")
    page.get_by_test_id("watch-button").click()
    expect(page.get_by_test_id("watch-no-email")).to_have_count(0)
    page.get_by_label("Every run, mine included").check()
    page.get_by_test_id("watch-save").click()
    expect(page.get_by_test_id("watch-button")).to_have_text("Watching")

    already = len(inbox.received)
    run = run_and_wait(page, server, graph)
    received = inbox.wait(already + 1, timeout=60)
    (to, mail), *_ = [(to, m) for to, m in received[already:] if f"(run {run})" in m["Subject"]]
    assert to == ["alice.notices@example.com"]
    assert mail["Subject"] == f'Pipeline "Nightly churn" failed (run {run})'
    link = re.search(r"Run page: (\S+)", mail.get_content())
    assert link and link.group(1) == f"{server.url}/runs/{run}/"
    page.goto(f"{server.url}/")
    page.goto(link.group(1))
    expect(page.get_by_test_id("run-page")).to_have_attribute("data-status", "failed")

    page.goto(f"{server.url}/graphs/{graph}/runs/")
    page.get_by_test_id("watch-button").click()
    expect(page.get_by_label("Every run, mine included")).to_be_checked()
    page.get_by_test_id("watch-stop").click()
    expect(page.get_by_test_id("watch-button")).to_have_text("Watch")
    api(page, server, "PATCH", "/api/me/", {"email": ""})
