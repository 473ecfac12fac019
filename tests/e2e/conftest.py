"""Browser tests: a live server for the session, Debian's Chromium, and signed-in pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.server import PASSWORD, ROOT, LiveServer
from tests.support.smtp import Inbox, smtp_server

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Launch Debian's Chromium; never a downloaded browser."""
    return {"executable_path": "/usr/bin/chromium", "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def inbox() -> Iterator[Inbox]:
    """The SMTP server (aiosmtpd on loopback) the e2e server mails run notices to."""
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture(scope="session")
def designer_server(inbox: Inbox) -> Iterator[LiveServer]:
    """One server, with its scoring process and a mail server, for the whole e2e session (the
    front end must be built first)."""
    if not (ROOT / "static" / "dist" / ".vite" / "manifest.json").exists():
        pytest.fail("The front end is not built: run `make frontend` (scripts/frontend.sh).")
    server = LiveServer(scoring=True, email_port=inbox.port).start()
    yield server
    server.stop()


def sign_in(context: BrowserContext, server: LiveServer, username: str) -> Page:
    """Open the sign-in page in the context and sign in; returns the page on the start page."""
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    return page


def new_context(browser: Browser) -> BrowserContext:
    """A fresh browser profile (own cookies) with the standard viewport."""
    return browser.new_context(viewport=VIEWPORT)


@pytest.fixture
def alice(browser: Browser, designer_server: LiveServer) -> Iterator[Page]:
    """A page signed in as alice (owner of workspace "Research"); fails on uncaught page errors."""
    context = new_context(browser)
    page = sign_in(context, designer_server, "alice")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def canvas_at_rest(page: Page) -> None:
    """Wait until the canvas has not moved for 300 ms. A run that opens the bottom panel fits the
    view (a 200 ms animation starting 50 ms later); a run that ends sooner leaves its nodes
    moving, and a click on one of their buttons then lands beside it."""
    page.wait_for_function(
        """() => new Promise((done) => {
            const viewport = document.querySelector(".react-flow__viewport");
            const before = viewport && viewport.style.transform;
            setTimeout(() => done(viewport !== null && viewport.style.transform === before), 300);
        })"""
    )


def api(page: Page, server: LiveServer, method: str, path: str, body: Any = None) -> Any:
    """Call the REST API with the page's session and CSRF cookie; returns the JSON body."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.fetch(
        server.url + path,
        method=method,
        data=body,
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
    )
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json() if response.status != 204 else None


def upload_dataset(page: Page, server: LiveServer, name: str, csv: bytes) -> None:
    """Upload a CSV file as a version of the workspace's dataset `name`, with the page's session."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{server.url}/api/workspaces/{server.workspace}/datasets/",
        multipart={
            "name": name,
            "file": {"name": f"{name}.csv", "mimeType": "text/csv", "buffer": csv},
        },
        headers={"X-CSRFToken": token},
    )
    assert response.status == 201, response.text()
