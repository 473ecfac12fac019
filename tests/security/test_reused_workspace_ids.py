"""A workspace id that comes back brings nothing back: no datasets, no reusable results.

Ids come back when a database is restored from a backup taken before a workspace was made (the
artifact store, backed up apart, still holds what that workspace wrote), or when a transaction
is rolled back on SQLite. Whoever creates the next workspace then gets that id; the stores keep
registered datasets and the embedded cache index under the id, outside the database.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from designer.runs.models import Run
from designer.workspaces.models import Workspace
from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.test_runs import chain_document, make_graph, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def lose_to_a_restore(workspace: Workspace) -> None:
    """Delete a workspace's rows as a restored backup would lose them (its files stay), and let
    the next workspace take its id."""
    table, pk = Workspace._meta.db_table, workspace.pk
    Run.objects.filter(workspace_id=pk).delete()  # runs protect their graph versions
    Workspace.objects.filter(pk=pk).delete()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, pk]
            )
        else:
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [pk - 1, table])


def run_graph(client, graph: int) -> dict:
    return wait_for(
        client, client.post(f"/api/graphs/{graph}/runs/", {}, format="json").json()["id"]
    )


def test_a_new_workspace_with_a_lost_workspaces_id_finds_none_of_its_data(
    transactional_db: None,
) -> None:
    team: Team = make_team()
    victim, attacker = team.client("outsider"), team.client("editor")
    lost = team.foreign
    csv = SimpleUploadedFile("salaries.csv", b"name,salary\nada,100\n")
    uploaded = victim.post(
        f"/api/workspaces/{lost.pk}/datasets/",
        {"name": "salaries", "file": csv},
        format="multipart",
    )
    assert uploaded.status_code == 201, uploaded.json()
    document = chain_document(2)
    victims_run = run_graph(victim, make_graph(victim, lost.pk, document))
    assert victims_run["status"] == "succeeded", victims_run

    lose_to_a_restore(lost)
    created = attacker.post("/api/workspaces/", {"name": "Mine"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["id"] == lost.pk  # the id came back

    datasets = attacker.get(f"/api/workspaces/{lost.pk}/datasets/").json()["results"]
    assert datasets == []
    run = run_graph(attacker, make_graph(attacker, lost.pk, document))
    assert run["status"] == "succeeded", run
    assert {step["status"] for step in run["steps"]} == {"succeeded"}, run["steps"]
