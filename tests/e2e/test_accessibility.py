"""Every page a user sees passes axe-core's WCAG 2.1 A/AA checks and best practices in Chromium:
no violation of any impact; a failure names each rule, its help and the first offending nodes.
And the editor works without a mouse: modules are found, added, wired and run with the keyboard."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import api, new_context, sign_in, upload_dataset
from tests.e2e.server import ROOT, LiveServer
from tests.e2e.test_authoring import saved_wires, wires
from tests.e2e.test_editor import (
    FIVE_STEPS,
    create_graph,
    node_id,
    open_new_graph,
    wait_saved,
)
from tests.e2e.test_watch import confirmation_link
from tests.integration.endpoints.conftest import scoring_document
from tests.support.smtp import Inbox

pytestmark = pytest.mark.e2e

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"  # npm ci installs it
# WCAG 2.1 A and AA, plus axe's best practices (landmarks, one h1, named table headers…)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# No rule is turned off: every finding was fixed. (React Flow's controls carry an aria-label on
# a div with no role, which axe only flags for review, not as a violation.)
# Rules whose "needs review" results fail too: axe cannot tell whether an id an ARIA attribute
# names will appear later, but these pages are checked once settled, so a missing one is a bug.
REVIEWED_INCOMPLETE = {"aria-valid-attr-value"}
SHOWN_NODES = 5


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (injected from node_modules: nothing is downloaded) on the page as it is;
    every violation, whatever its impact, and the reviewed rules' incomplete results."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make frontend` (scripts/frontend.sh).")
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": TAGS}}
    found: list[dict[str, Any]] = page.evaluate(
        """async ([options, reviewed]) => {
            const result = await axe.run(document, options);
            const unsure = result.incomplete.filter((r) => reviewed.includes(r.id));
            return result.violations.concat(unsure).map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ")),
                why: v.nodes[0].failureSummary,
            }));
        }""",
        [options, sorted(REVIEWED_INCOMPLETE)],
    )
    return found


def assert_accessible(page: Page, what: str) -> None:
    """Fail naming each violated rule, its help text and the first offending nodes."""
    violations = axe_violations(page)
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}; {len(v['nodes'])} node(s): "
        + ", ".join(v["nodes"][:SHOWN_NODES])
        + f"\n  {v['why']}"
        for v in violations
    )
    assert not violations, f"{what} ({page.url}) has accessibility violations:\n{report}"


@dataclass
class Seeded:
    """What the pages show: a pipeline that ran, its run, and an endpoint."""

    graph: int
    run: int
    endpoint: int


def wait_finished(page: Page, server: LiveServer, run: int) -> None:
    deadline = time.monotonic() + 90
    while api(page, server, "GET", f"/api/runs/{run}/")["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"run {run} did not finish within 90 s"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def seeded(browser: Browser, designer_server: LiveServer) -> Iterator[Seeded]:
    """A pipeline of five steps run once, a dataset, and an endpoint of a scoring pipeline."""
    context = new_context(browser)
    page = sign_in(context, designer_server, "alice")
    upload_dataset(page, designer_server, "accessible-rows", b"a,b\n1,x\n-2,y\n")
    graph = create_graph(page, designer_server, "Accessible", FIVE_STEPS)
    run = api(page, designer_server, "POST", f"/api/graphs/{graph}/runs/", {})["id"]
    wait_finished(page, designer_server, run)
    scoring = create_graph(page, designer_server, "Accessible scoring", scoring_document())
    endpoint = api(
        page,
        designer_server,
        "POST",
        f"/api/workspaces/{designer_server.workspace}/endpoints/",
        {"name": "accessible", "graph": scoring},
    )["id"]
    context.close()
    yield Seeded(graph=graph, run=run, endpoint=endpoint)


def open_editor_panels(page: Page) -> None:
    """Open the inspector on a node and the bottom panel's output preview."""
    page.get_by_test_id("node-data").click()
    expect(page.get_by_test_id("inspector")).to_be_visible()
    page.get_by_test_id("preview-data-dataset").click()
    expect(page.get_by_test_id("output-preview").get_by_test_id("column-stats")).to_be_visible()


def refused_password_change(page: Page) -> None:
    """Submit the password form with a wrong current password: the form again, with errors."""
    page.fill("#id_old_password", "not-the-password")
    page.fill("#id_new_password1", "a-long-passphrase-9")
    page.fill("#id_new_password2", "a-long-passphrase-9")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_test_id("error-old_password")).to_be_visible()


def open_step(page: Page) -> None:
    """Select a step on the run page: its details and its log."""
    page.get_by_test_id("node-evaluate").click()
    expect(page.get_by_test_id("step-details")).to_be_visible()
    expect(page.get_by_test_id("step-log")).to_be_visible()


def settled(test_id: str) -> Callable[[Page], None]:
    """Wait until the element with the test id is visible (the page's data has loaded)."""
    return lambda page: expect(page.get_by_test_id(test_id).first).to_be_visible()


# name → (path given the server and seeded ids, what to do before checking)
SIGNED_IN: dict[str, tuple[Callable[[LiveServer, Seeded], str], Callable[[Page], None]]] = {
    "workspaces": (lambda s, d: "/", settled("workspace-list")),
    "workspace": (lambda s, d: f"/workspaces/{s.workspace}/", settled("member-list")),
    "datasets": (lambda s, d: f"/workspaces/{s.workspace}/datasets/", settled("dataset-list")),
    "endpoints": (lambda s, d: f"/workspaces/{s.workspace}/endpoints/", settled("endpoint-list")),
    "endpoint": (lambda s, d: f"/endpoints/{d.endpoint}/", settled("endpoint-name")),
    "runs": (lambda s, d: f"/graphs/{d.graph}/runs/", settled("run-list")),
    "run": (lambda s, d: f"/runs/{d.run}/", open_step),
    "editor": (lambda s, d: f"/graphs/{d.graph}/", open_editor_panels),
    "account": (lambda s, d: "/tokens/", settled("account-email")),
    "password change": (lambda s, d: "/accounts/password/", settled("password-form")),
    "refused password change": (lambda s, d: "/accounts/password/", refused_password_change),
    "activity": (lambda s, d: f"/workspaces/{s.workspace}/activity/", settled("activity-entry")),
}


@pytest.mark.parametrize("name", SIGNED_IN)
def test_a_signed_in_page_passes_axe(
    name: str, alice: Page, designer_server: LiveServer, seeded: Seeded
) -> None:
    path, prepare = SIGNED_IN[name]
    alice.goto(designer_server.url + path(designer_server, seeded))
    prepare(alice)
    assert_accessible(alice, f"the {name} page")


def test_the_sign_in_and_password_reset_pages_pass_axe(
    browser: Browser, designer_server: LiveServer
) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{designer_server.url}/accounts/login/")
    assert_accessible(page, "the sign-in page")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")  # the page again, with its error
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "the sign-in page with an error")
    page.goto(f"{designer_server.url}/accounts/password/reset/")
    assert_accessible(page, "the password reset page")
    context.close()


def test_the_invitation_join_page_passes_axe(
    alice: Page, browser: Browser, designer_server: LiveServer, inbox: Inbox
) -> None:
    page, server = alice, designer_server
    address = "axe@corp.example"
    api(
        page,
        server,
        "POST",
        f"/api/workspaces/{server.workspace}/members/",
        {"user": address, "role": "viewer"},
    )
    try:
        context = new_context(browser)
        invited = context.new_page()
        invited.goto(confirmation_link(inbox, address))
        expect(invited.get_by_test_id("invitation")).to_contain_text(re.compile("alice invited"))
        assert_accessible(invited, "the invitation join page")
        context.close()
    finally:  # the other browser tests expect no pending invitation in the shared workspace
        pending = api(page, server, "GET", f"/api/workspaces/{server.workspace}/invitations/")
        for invitation in pending["results"]:
            path = f"/api/workspaces/{server.workspace}/invitations/{invitation['id']}/"
            api(page, server, "DELETE", path)


def test_a_module_is_found_and_added_with_the_keyboard_alone(
    alice: Page, designer_server: LiveServer
) -> None:
    page = alice
    open_new_graph(page, designer_server, "Keyboard only")
    page.get_by_test_id("canvas").click()  # focus on the page, not in a field
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search modules")).to_be_focused()
    page.keyboard.type("principal comp")
    page.keyboard.press("Enter")  # the first match
    expect(page.locator('.module-node[data-module="transform.pca@1"]')).to_have_count(1)

    page.get_by_role("searchbox", name="Search modules").fill("sample dataset")
    page.keyboard.press("Tab")  # the "Results" group's toggle
    page.keyboard.press("Tab")  # its first module
    expect(page.get_by_test_id("palette-data.sample_dataset@1")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator('.module-node[data-module="data.sample_dataset@1"]')).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator('.module-node[data-module="data.sample_dataset@1"]')).to_have_count(2)


def wire_with_keyboard(page: Page, words: str) -> None:
    """In the open Wires dialog: type words to filter, check one choice is left, Enter draws it."""
    dialog = page.get_by_role("dialog")
    page.keyboard.type(words)
    expect(dialog.get_by_role("option")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)


def test_a_pipeline_is_built_wired_and_run_with_the_keyboard_alone(
    alice: Page, designer_server: LiveServer
) -> None:
    """No mouse event at all: the page is opened, then only keys are pressed."""
    page, server = alice, designer_server
    empty = {"schema_version": 1, "parameters": {}, "nodes": [], "edges": [], "comments": []}
    graph = create_graph(page, server, "Wired by keyboard", empty)
    page.goto(f"{server.url}/graphs/{graph}/")
    expect(page.get_by_test_id("editor")).to_have_attribute("data-synced", "true")

    # Three modules from the palette: "/" searches, Enter adds the first match (and selects it).
    page.keyboard.press("/")
    for words, module in [
        ("sample dataset", "data.sample_dataset@1"),
        ("normalize data", "transform.normalize@1"),
        ("split rows", "transform.split_rows@1"),
    ]:
        page.keyboard.press("Control+a")
        page.keyboard.type(words)
        page.keyboard.press("Enter")
        expect(page.locator(f'.module-node[data-module="{module}"]')).to_have_count(1)
    data, scale, split = (
        node_id(page, m)
        for m in ("data.sample_dataset@1", "transform.normalize@1", "transform.split_rows@1")
    )

    def module(node: str) -> Locator:
        return page.locator(f'.react-flow__node[data-id="{node}"]')

    # Out of the search field, W wires the selected module (the last added): its input from
    # Normalize. Focus goes back to the module when the dialog closes.
    page.keyboard.press("Tab")
    page.keyboard.press("w")
    dialog = page.get_by_role("dialog", name="Wires of Split data")
    expect(dialog.get_by_role("combobox", name="Filter by module or port")).to_be_focused()
    wire_with_keyboard(page, "from normalize")
    expect(module(split)).to_be_focused()
    expect(page.get_by_test_id("toast").filter(has_text="Wired Normalize data")).to_be_visible()

    # Shift+Tab focuses the module before it on the canvas; W wires the focused module. Its
    # choices: Sample dataset's output (offered), Split data's (refused: a cycle), its wire.
    page.keyboard.press("Shift+Tab")
    expect(module(scale)).to_be_focused()
    page.keyboard.press("w")
    dialog = page.get_by_role("dialog", name="Wires of Normalize data")
    expect(dialog.get_by_role("option", name="Sample dataset · dataset")).to_be_visible()
    refused = dialog.get_by_role("option", name=re.compile("^Split data · train"))
    expect(refused).to_have_attribute("aria-disabled", "true")
    expect(refused).to_contain_text("This wire would make a cycle.")
    expect(dialog.get_by_role("group", name="Disconnect").get_by_role("option")).to_have_text(
        "Normalize data · dataset → Split data · dataset"
    )
    assert_accessible(page, "the Wires dialog")
    wire_with_keyboard(page, "from sample")
    expect(module(scale)).to_be_focused()
    pipeline = [f"{data}.dataset>{scale}.dataset", f"{scale}.dataset>{split}.dataset"]
    assert wires(page) == pipeline

    # A wire drawn by keyboard is one edit like a drag: undone, redone and saved.
    page.keyboard.press("Control+z")
    assert wires(page) == pipeline[1:]
    page.keyboard.press("Control+Shift+z")
    assert wires(page) == pipeline
    wait_saved(page)
    assert saved_wires(page, server, graph) == pipeline

    # Ctrl+Enter runs it; every step succeeds (or is reused from another test's same steps).
    page.keyboard.press("Control+Enter")
    for node in (data, scale, split):
        expect(page.get_by_test_id(f"node-{node}")).to_have_attribute(
            "data-status", re.compile("^(succeeded|reused)$"), timeout=90_000
        )

    # A wire is removed the same way: W, "disconnect", Enter.
    page.keyboard.press("w")
    wire_with_keyboard(page, "disconnect sample")
    assert wires(page) == pipeline[1:]


def focus_by_keys(page: Page, label: str, key: str = "Shift+Tab", limit: int = 12) -> None:
    """Press `key` until the element named `label` has keyboard focus (Tab order, not a click)."""
    for _ in range(limit):
        if page.evaluate("document.activeElement?.getAttribute('aria-label')") == label:
            return
        page.keyboard.press(key)
    pytest.fail(f"{label!r} never got focus with {key}")


def test_a_wire_is_moved_and_modules_put_into_wires_with_the_keyboard_alone(
    alice: Page, designer_server: LiveServer
) -> None:
    """No mouse event at all: a palette module goes into a wire, a wire's start moves (one undo
    step) and a new module goes into a wire, each from the Wires dialog that W opens."""
    page, server = alice, designer_server
    at = {"x": 0, "y": 0}
    document = {
        "schema_version": 1,
        "parameters": {},
        "nodes": [
            {"id": "data", "module": "data.sample_dataset@1", "params": {}, "position": at},
            {"id": "split", "module": "transform.split_rows@1", "params": {}, "position": at},
            {"id": "clean", "module": "transform.clean_missing@1", "params": {}, "position": at},
        ],
        "edges": [
            {
                "id": "e1",
                "source": {"node": "data", "port": "dataset"},
                "target": {"node": "split", "port": "dataset"},
            },
            {
                "id": "e2",
                "source": {"node": "data", "port": "dataset"},
                "target": {"node": "clean", "port": "dataset"},
            },
        ],
        "comments": [],
    }
    graph = create_graph(page, server, "Rewired by keyboard", document)
    page.goto(f"{server.url}/graphs/{graph}/")
    expect(page.get_by_test_id("editor")).to_have_attribute("data-synced", "true")

    # The Shortcuts dialog says what W does on a wire and on a palette module.
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_contain_text(
        "a wire (move its start or end, put a module into it, remove it)"
    )
    page.keyboard.press("Escape")

    # W on a palette module: the wires it fits into; Enter puts a new one into the chosen wire.
    page.keyboard.press("/")
    page.keyboard.type("normalize data")
    page.keyboard.press("Tab")  # the "Results" group's toggle
    page.keyboard.press("Tab")  # its first module
    palette_item = page.get_by_test_id("palette-transform.normalize@1")
    expect(palette_item).to_be_focused()
    page.keyboard.press("w")
    dialog = page.get_by_role("dialog", name="Put Normalize data into a wire")
    expect(dialog.get_by_role("option")).to_have_text(
        [
            "Sample dataset · dataset → Split data · dataset",
            "Sample dataset · dataset → Clean missing data · dataset",
        ]
    )
    assert_accessible(page, "the Wires dialog of a palette module")
    wire_with_keyboard(page, "split")
    expect(palette_item).to_be_focused()
    scale = node_id(page, "transform.normalize@1")
    inserted = [
        "data.dataset>clean.dataset",
        f"data.dataset>{scale}.dataset",
        f"{scale}.dataset>split.dataset",
    ]
    assert wires(page) == inserted
    page.keyboard.press(
        "Control+z"
    )  # one undo step: the module and its wires go, the wire comes back
    assert wires(page) == ["data.dataset>clean.dataset", "data.dataset>split.dataset"]
    expect(page.locator('.module-node[data-module="transform.normalize@1"]')).to_have_count(0)
    page.keyboard.press("Control+Shift+z")
    assert wires(page) == inserted

    # To the canvas: W on the module just added (it is selected) focuses it; Escape closes the
    # dialog; Shift+Tab goes back through the modules to the wires.
    page.keyboard.press("/")
    page.keyboard.press("Tab")
    page.keyboard.press("w")
    expect(page.get_by_role("dialog", name="Wires of Normalize data")).to_be_visible()
    page.keyboard.press("Escape")
    focus_by_keys(page, "Wire Normalize data · dataset → Split data · dataset")

    # W on a wire: move its start or its end (a refused choice says why), put a module into it.
    page.keyboard.press("w")
    dialog = page.get_by_role("dialog", name="Wire Normalize data · dataset → Split data · dataset")
    expect(
        dialog.get_by_role("group", name=re.compile("^Move its start")).get_by_role("option")
    ).to_have_text(
        ["Sample dataset · dataset", "Clean missing data · dataset", "Clean missing data · report"]
    )
    refused = dialog.get_by_role("group", name=re.compile("^Move its end")).get_by_role("option")
    expect(refused).to_have_attribute("aria-disabled", "true")
    expect(refused).to_contain_text("Input “dataset” already has a wire")
    expect(dialog.get_by_role("option", name="Remove duplicate rows")).to_be_visible()
    assert_accessible(page, "the Wires dialog of a wire")
    page.keyboard.type("move start clean")
    expect(dialog.get_by_role("option")).to_have_count(2)  # its "dataset" output, then "report"
    page.keyboard.press("Enter")  # the active one: the first
    expect(dialog).to_have_count(0)
    moved = [
        "clean.dataset>split.dataset",
        "data.dataset>clean.dataset",
        f"data.dataset>{scale}.dataset",
    ]
    assert wires(page) == moved
    wire = page.get_by_role(
        "group", name="Wire Clean missing data · dataset → Split data · dataset"
    )
    expect(wire).to_be_focused()  # the same wire, moved: focus went back to it

    # One edit, like a drag of the wire's end: one undo step, then saved.
    page.keyboard.press("Control+z")
    assert wires(page) == inserted
    page.keyboard.press("Control+Shift+z")
    assert wires(page) == moved
    wait_saved(page)
    assert saved_wires(page, server, graph) == moved

    # A new module into the focused wire: focus lands on it (the wire is gone).
    page.keyboard.press("w")
    wire_with_keyboard(page, "new remove duplicate")
    dedupe = node_id(page, "transform.remove_duplicates@1")
    assert wires(page) == sorted(
        [
            f"clean.dataset>{dedupe}.dataset",
            f"{dedupe}.dataset>split.dataset",
            "data.dataset>clean.dataset",
            f"data.dataset>{scale}.dataset",
        ]
    )
    expect(page.locator(f'.react-flow__node[data-id="{dedupe}"]')).to_be_focused()
