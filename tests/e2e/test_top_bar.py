"""The editor's top bar in a wide and a narrow window: every control on screen, a long name cut."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import LiveServer
from tests.e2e.test_coediting import TWO_NODES
from tests.e2e.test_editor import create_graph

pytestmark = pytest.mark.e2e

LONG_NAME = "Churn model with every feature the marketing team asked for in the spring review"


@pytest.mark.parametrize("width", [1440, 1100])
def test_the_top_bar_keeps_every_control_on_screen_and_cuts_a_long_name(
    alice: Page, designer_server: LiveServer, width: int
) -> None:
    graph = create_graph(alice, designer_server, LONG_NAME, TWO_NODES)
    alice.set_viewport_size({"width": width, "height": 800})
    alice.goto(f"{designer_server.url}/graphs/{graph}/")
    expect(alice.get_by_test_id("editor")).to_have_attribute("data-synced", "true")

    bar = alice.locator("header.topbar")
    brand = bar.get_by_role("link", name="Pipeline designer").bounding_box()
    assert brand is not None and brand["height"] < 30, brand  # one line, never wrapped
    controls = [bar.get_by_test_id("run-button")]
    controls += [bar.get_by_role("button", name=n, exact=True) for n in ("Publish", "Sign out")]
    for control in controls:
        box = control.bounding_box()
        assert box is not None, control
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (control, box)
        assert box["y"] + box["height"] <= 48, (control, box)  # on the bar's one line

    current = alice.get_by_test_id("crumb-current")
    expect(current).to_have_attribute("title", LONG_NAME)  # the whole name on hover
    cut = current.evaluate("e => e.scrollWidth > e.clientWidth && e.clientWidth > 40")
    assert cut, "the name is shown, cut to the room the bar leaves"
