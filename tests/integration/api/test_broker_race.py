"""The broker answers the check, then fails the send after the run's transaction committed."""

from __future__ import annotations

from typing import Any

import pytest
from kombu.exceptions import OperationalError

from designer.runs import broker, distributed
from designer.runs.models import Run
from tests.integration.api.conftest import make_team
from tests.integration.api.test_runs import chain_document, make_graph

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_send_that_fails_after_the_commit_fails_the_run_and_answers_503(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = make_team()
    editor = team.client("editor")
    graph = make_graph(editor, team.workspace.pk, chain_document(2))
    settings.DESIGNER_RUNNER = "celery"
    monkeypatch.setattr(broker, "require", lambda action: None)  # it answered the check…

    def gone(run_id: int, at: float | None = None, priority: int = 0) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(distributed, "advance_later", gone)  # …then went away
    response = editor.post(f"/api/graphs/{graph}/runs/", {}, format="json")
    assert response.status_code == 503, response.json()
    body = response.json()
    run = Run.objects.get()
    assert body["code"] == "broker_unavailable"
    assert f"run {run.pk} was saved as failed" in body["detail"]
    assert run.status == "failed" and "task broker is unreachable" in run.error
    assert set(run.steps.values_list("status", flat=True)) == {"canceled"}
