"""Names an editor or owner chooses (a pipeline's, a workspace's, a node's label) cannot stop a
mail nor write lines of their own into it: a line break in a name would make Django refuse the
mail's subject (the watchers never told of a failure, an invitation refused as if the mail server
were down), and in the body it would start a line of the name's writer's choosing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from designer.graphs import services as graph_services
from designer.graphs.analysis import plan_for_run
from designer.graphs.models import Graph
from designer.notifications import notices
from designer.notifications.models import Watch
from designer.runs import services as run_services
from designer.runs.models import RunStatus
from tests.integration.api.conftest import Team, fast_passwords, make_team, simple_document  # noqa: F401
from tests.integration.api.conftest import inbox as inbox
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db
FORGED = (
    "Nightly\r\nBcc: attacker@evil.example\n\nYour session ended: sign in at https://evil.example/"
)


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def named(team: Team) -> None:
    """The owner names the workspace FORGED through the API."""
    answer = team.client("owner").patch(
        f"/api/workspaces/{team.workspace.pk}/", {"name": FORGED}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["name"] == FORGED.strip()


def test_a_pipeline_named_with_line_breaks_still_mails_its_watchers_one_plain_subject(
    team: Team, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owner = team.users["owner"]
    named(team)
    made = team.client("editor").post(
        f"/api/workspaces/{team.workspace.pk}/graphs/",
        {"name": FORGED, "document": simple_document()},
        format="json",
    )
    assert made.status_code == 201, made.json()
    graph = Graph.objects.get(pk=made.json()["id"])
    Watch.objects.create(user=owner, graph=graph, scope="all")
    version = graph_services.commit_version(graph.pk, owner, "v1", only_if_changed=False)
    run = run_services.create_run(
        graph, version, team.users["editor"], plan_for_run(graph.draft, {}), False, None, None
    )
    run_services.finish(run.pk, RunStatus.FAILED, "broken")
    notices.notify(run.pk)
    (sent,) = mail.outbox
    assert sent.to == ["owner@example.com"] and sent.bcc == []
    assert "\n" not in sent.subject and "\r" not in sent.subject
    assert sent.subject.startswith('Pipeline "Nightly Bcc: attacker@evil.example Your session')
    assert not any(line.startswith("Your session") for line in sent.body.splitlines())
    assert "attacker@evil.example" not in str(sent.message()["Bcc"])


def test_an_invitation_into_a_workspace_named_with_line_breaks_is_mailed(
    team: Team, inbox: Inbox
) -> None:
    named(team)
    answer = team.client("owner").post(
        f"/api/workspaces/{team.workspace.pk}/members/",
        {"user": "new@corp.com", "role": "viewer"},
        format="json",
    )
    assert answer.status_code == 202, answer.json()
    ((to, sent),) = inbox.wait(1)
    assert to == ["new@corp.com"]
    assert "\n" not in sent["Subject"]
    assert not any(line.startswith("Your session") for line in sent.get_content().splitlines())
