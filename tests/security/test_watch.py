"""Watching a pipeline leaks nothing across workspaces and mails no one outside it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from designer.graphs import services as graph_services
from designer.graphs.analysis import plan_for_run
from designer.notifications import notices
from designer.notifications.models import Watch
from designer.runs import services as run_services
from designer.runs.models import RunStatus
from tests.integration.api.conftest import Team, make_team, simple_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db: None, settings: Any) -> Team:
    """A team, and an outsider owning a workspace of their own; mail kept in memory."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return make_team()


def test_a_member_of_another_workspace_cannot_read_or_watch_a_hidden_pipeline(team: Team) -> None:
    graph = graph_services.create_graph(
        team.workspace, team.users["owner"], "hidden", "", simple_document()
    )
    outsider = team.client("outsider")
    missing = outsider.get("/api/graphs/999999/watch/")
    assert missing.status_code == 404
    url = f"/api/graphs/{graph.pk}/watch/"
    answers = {
        "get": outsider.get(url),
        "put": outsider.put(url, {"scope": "all", "recovered": True}, format="json"),
        "delete": outsider.delete(url),
    }
    for method, answer in answers.items():
        assert answer.status_code == 404, (method, answer.json())
        assert answer.json() == {**missing.json(), "detail": f"Graph {graph.pk} not found."}
    assert not Watch.objects.exists()
    assert team.client("anonymous").put(f"/api/graphs/{graph.pk}/watch/").status_code == 401


def test_a_watch_planted_for_a_non_member_mails_nothing(team: Team) -> None:
    """Even a watch row of someone outside the workspace (left from a removal, or written by
    hand) gives them no mail: membership is checked when a run's notice is sent."""
    owner = team.users["owner"]
    graph = graph_services.create_graph(team.workspace, owner, "hidden", "", simple_document())
    Watch.objects.create(user=team.users["outsider"], graph=graph, scope="all")
    version = graph_services.commit_version(graph.pk, owner, "v1", only_if_changed=False)
    run = run_services.create_run(
        graph, version, owner, plan_for_run(graph.draft, {}), False, None, None
    )
    run_services.finish(run.pk, RunStatus.FAILED, "broken")
    notices.notify(run.pk)
    assert mail.outbox == []
    Watch.objects.create(user=team.users["viewer"], graph=graph, scope="all")
    notices.notify(run.pk)
    assert [m.to for m in mail.outbox] == [["viewer@example.com"]]
    assert "Error: broken" in mail.outbox[0].body
