"""A sweep whose values make an astronomical number of runs is refused with the sweep's 400,
quickly, naming the limit: never a 500, nor minutes of counting in the web process."""

from __future__ import annotations

import time

import pytest

from designer.graphs.models import GraphVersion
from designer.runs.models import Run
from designer.runs.sweeps import MAX_SWEEP_RUNS
from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.test_sweeps import swept_graph

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def test_two_values_for_each_of_twenty_thousand_parameters_is_refused_at_once(
    team: Team,
) -> None:
    """2^20000 combinations: a number too long to print (Python refuses past 4,300 digits)."""
    editor = team.client("editor")
    graph = swept_graph(editor, team.workspace.pk)
    versions = GraphVersion.objects.filter(graph_id=graph["id"]).count()
    values = {f"p{i}": [1, 2] for i in range(20_000)}
    started = time.monotonic()
    answer = editor.post(
        f"/api/graphs/{graph['id']}/sweeps/", {"parameters": values}, format="json"
    )
    took = time.monotonic() - started
    assert answer.status_code == 400, answer.content[:300]
    body = answer.json()
    assert body["code"] == "sweep_too_large"
    assert body["detail"].startswith(f"A sweep starts at most {MAX_SWEEP_RUNS} runs")
    assert (
        "make at least 32 (values per parameter: p0: 2, p1: 2, p2: 2, p3: 2, p4: 2)"
        in (body["detail"])
    )
    assert took < 5
    assert Run.objects.count() == 0
    assert GraphVersion.objects.filter(graph_id=graph["id"]).count() == versions
