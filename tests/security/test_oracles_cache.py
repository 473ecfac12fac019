"""Reuse never crosses workspaces: a step is reused only from a run of its own workspace.

Otherwise a user could learn that another workspace computed the same thing (say, a guessed
dataset), and from which run. Through the real HTTP API: on the embedded runner, the coordinator
path (a first run) and the fast path (an all-reused run finished inside its POST); and on a
real Celery worker.
"""

from __future__ import annotations

import re

import pytest

from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.test_runs import chain_document, make_graph, wait_for
from tests.integration.celery.conftest import (  # noqa: F401
    celery_runner,
    celery_worker,
    worker_inbox,
)

pytestmark = pytest.mark.django_db(transaction=True)


def run_graph(team: Team, who: str, graph: int) -> dict:
    client = team.client(who)
    return wait_for(
        client, client.post(f"/api/graphs/{graph}/runs/", {}, format="json").json()["id"]
    )


def test_the_same_graph_in_another_workspace_runs_afresh(team_tx: Team) -> None:
    document = chain_document(3)
    theirs = make_graph(team_tx.client("outsider"), team_tx.foreign.pk, document)
    first = run_graph(team_tx, "outsider", theirs)
    again = run_graph(team_tx, "outsider", theirs)  # all reused: finished inside its POST
    assert {s["status"] for s in again["steps"]} == {"reused"}
    foreign_runs = {str(first["id"]), str(again["id"])}

    mine = make_graph(team_tx.client("editor"), team_tx.workspace.pk, document)
    run = run_graph(team_tx, "editor", mine)
    assert run["status"] == "succeeded", run
    for step in run["steps"]:
        assert step["status"] == "succeeded", step
        assert not foreign_runs & set(re.findall(r"\d+", step["reason"])), step
    # within a workspace reuse works as before
    rerun = run_graph(team_tx, "editor", mine)
    assert all(s["reason"].endswith(f" from run {run['id']}") for s in rerun["steps"]), rerun


@pytest.mark.celery
@pytest.mark.redis
@pytest.mark.usefixtures("celery_runner")
def test_on_celery_the_same_graph_in_another_workspace_runs_afresh(team_tx: Team) -> None:
    document = chain_document(2)
    document["nodes"][1]["params"]["pattern"] = "^celery-oracle$"
    theirs = make_graph(team_tx.client("outsider"), team_tx.foreign.pk, document)
    first = run_graph(team_tx, "outsider", theirs)
    assert first["runner"] == "celery" and first["status"] == "succeeded", first

    mine = make_graph(team_tx.client("editor"), team_tx.workspace.pk, document)
    run = run_graph(team_tx, "editor", mine)
    assert [s["status"] for s in run["steps"]] == ["succeeded", "succeeded"], run
    assert all(str(first["id"]) not in s["reason"] for s in run["steps"]), run
    rerun = run_graph(team_tx, "editor", mine)
    assert all(s["reason"].endswith(f" from run {run['id']}") for s in rerun["steps"]), rerun
