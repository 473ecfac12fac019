"""A signed-in user's writes are rate limited (decision 0089): one who renames their workspace
in a loop (an activity entry each) or starts runs in a loop (a run row each) is stopped at the
default rate with 429 and Retry-After, in the API's error shape, having written nothing more.

Before, nothing bounded them: every request wrote its row. (The other tests run without the
limit, tests/conftest.py; this one puts the server's default back.)
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

import designer.settings as configured
from designer.activity.models import Action, ActivityEntry
from tests.integration.api.conftest import Team, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(settings: Any) -> Team:
    """A team, with the server's default write rate and an empty count."""
    settings.DESIGNER_API_WRITE_RATE = configured.DESIGNER_API_WRITE_RATE
    cache.clear()
    return make_team()


def test_writes_past_the_default_rate_are_refused_and_write_nothing(team: Team) -> None:
    assert configured.DESIGNER_API_WRITE_RATE == "300/min"
    owner, workspace = team.client("owner"), f"/api/workspaces/{team.workspace.pk}/"
    for i in range(300):
        renamed = owner.patch(workspace, {"name": f"Team {i}"}, format="json")
        assert renamed.status_code == 200, (i, renamed.json())
    refused = owner.patch(workspace, {"name": "one too many"}, format="json")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "throttled" and body["issues"] == []
    assert "throttled" in body["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert owner.get(workspace).json()["name"] == "Team 299"
    renames = ActivityEntry.objects.filter(action=Action.WORKSPACE_RENAMED)
    assert renames.count() == 300
    # the limit is the user's, whatever the client: a signed-in browser is refused too
    browser = APIClient()
    browser.force_login(team.users["owner"])
    assert browser.patch(workspace, {"name": "again"}, format="json").status_code == 429
    # reads go on, and other users write as before
    assert owner.get(f"{workspace}graphs/").status_code == 200
    graph = {"name": "g", "document": {"schema_version": 1, "nodes": [], "edges": []}}
    made = team.client("editor").post(f"{workspace}graphs/", graph, format="json")
    assert made.status_code == 201, made.json()
