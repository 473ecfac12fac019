"""A graph reads registered datasets of its own workspace only, whatever name it gives.

The owner of one workspace knows (or guesses) the name of another workspace's dataset and
puts it in a *Registered dataset* step of their own graph: as it is, or as a path into the
other workspace's folder of the store. The run fails at that step exactly as for a made-up
name, and the editor's column inference knows no columns for it.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.test_runs import make_graph, steps, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "Q7-their-ledger"
NAME = "their-ledger-2026"


def reading(name: str) -> dict:
    node = {"id": "read", "module": "data.registered_dataset@1", "params": {"name": name}}
    return {"schema_version": 1, "parameters": {}, "nodes": [node], "edges": []}


def test_a_graph_cannot_read_another_workspaces_dataset_by_name(team_tx: Team) -> None:
    file = SimpleUploadedFile("l.csv", f"secret\n{SECRET}\n".encode())
    uploaded = team_tx.client("outsider").post(
        f"/api/workspaces/{team_tx.foreign.pk}/datasets/", {"name": NAME, "file": file}, "multipart"
    )
    assert uploaded.status_code == 201
    editor, ws = team_tx.client("editor"), team_tx.workspace.pk
    errors = {}
    for name in (NAME, f"../{team_tx.foreign.pk}/{NAME}", "made-up-ledger"):
        graph = make_graph(editor, ws, reading(name))
        columns = editor.post(f"/api/graphs/{graph}/columns/", reading(name), format="json")
        assert columns.json()["nodes"]["read"]["dataset"] is None, name
        started = editor.post(f"/api/graphs/{graph}/runs/", {}, format="json")
        assert started.status_code == 201, started.json()
        run = wait_for(editor, started.json()["id"])
        step = steps(run)["read"]
        assert (run["status"], step["status"], step["outputs"]) == ("failed", "failed", {}), name
        log = editor.get(f"/api/runs/{run['id']}/steps/read/log/").json()["text"]
        assert SECRET not in step["error"] + log, name
        errors[name] = step["error"].replace(name, "NAME")
    assert errors[NAME] == errors["made-up-ledger"]  # told just what a made-up name is told
    assert "invalid dataset name" in errors[f"../{team_tx.foreign.pk}/{NAME}"]
