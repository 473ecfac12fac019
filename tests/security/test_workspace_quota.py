"""One workspace cannot take all the storage: at or over its quota it cannot upload or run.

Below the disk's floor (test_disk_floor.py) the server is safe, but one workspace could still
take every byte above it, and every other workspace's uploads and runs would be refused.
DESIGNER_WORKSPACE_STORAGE_MB bounds what one workspace keeps, counted as its storage line
shows it (each artifact once): at or over it, uploads, calls and runs are refused with a 409
naming its usage, its quota and what frees space; other workspaces are unaffected, and
deleting runs or datasets makes room again (decision 0078).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.runs import room
from designer.runs.models import Dataset, Run
from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.test_runs import make_graph, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
QUOTA_MB = 1
# 80,000 random floats and their row numbers: about 1.3 MB of Parquet, over a 1 MB quota
BIG_CSV = "x,y\n" + "".join(
    f"{i},{v!r}\n" for i, v in enumerate(np.random.default_rng(0).normal(size=80_000))
)
SMALL_CSV = "a\n1\n2\n"
WRITING = (
    "import numpy as np\n"
    "import pandas as pd\n"
    "def azureml_main(df1, df2=None):\n"
    "    return pd.DataFrame({'v': np.random.default_rng(1).normal(size=200_000)})\n"
)


@pytest.fixture
def team_tx(transactional_db: None, settings: Any) -> Team:
    settings.DESIGNER_WORKSPACE_STORAGE_MB = QUOTA_MB
    team = make_team()
    for workspace in (team.workspace, team.foreign):  # an earlier test's workspace of that id
        room.changed(workspace.pk)
    return team


def upload(client: Any, workspace: int, name: str, csv: str) -> Any:
    file = SimpleUploadedFile(f"{name}.csv", csv.encode())
    return client.post(
        f"/api/workspaces/{workspace}/datasets/", {"name": name, "file": file}, "multipart"
    )


def document(*nodes: dict[str, Any]) -> dict[str, Any]:
    edges = [
        {
            "id": f"e{i}",
            "source": {"node": a["id"], "port": "dataset"},
            "target": {"node": b["id"], "port": "dataset1"},
        }
        for i, (a, b) in enumerate(itertools.pairwise(nodes))
    ]
    return {"schema_version": 1, "parameters": {}, "nodes": list(nodes), "edges": edges}


SMALL = document({"id": "data", "module": "data.enter_data@1", "params": {"csv": SMALL_CSV}})
WRITER = document(
    {"id": "data", "module": "data.enter_data@1", "params": {"csv": SMALL_CSV}},
    {"id": "big", "module": "script.python@1", "params": {"code": WRITING}},
)


def refused_over_quota(answer: Any) -> None:
    assert answer.status_code == 409, answer.content[:300]
    body = answer.json()
    assert body["code"] == "storage_quota_exceeded"
    assert body["quota_bytes"] == QUOTA_MB * 2**20 <= body["used_bytes"]
    detail = body["detail"]
    assert detail.startswith(f"This workspace stores {body['used_bytes']:,} bytes (")
    assert "at or over its quota of 1,048,576 bytes (1.0 MB) (DESIGNER_WORKSPACE_STORAGE_MB)" in (
        detail
    )
    assert "Delete runs or datasets it no longer needs" in detail


def run(client: Any, graph: int) -> Any:
    return client.post(f"/api/graphs/{graph}/runs/", {}, format="json")


def test_a_workspace_over_its_quota_cannot_upload_or_run_until_it_deletes_a_dataset(
    team_tx: Team,
) -> None:
    editor, ws = team_tx.client("editor"), team_tx.workspace.pk
    graph = make_graph(editor, ws, SMALL)
    big = upload(editor, ws, "big", BIG_CSV)  # under the quota when it starts: stored
    assert big.status_code == 201, big.json()
    assert big.json()["size"] > QUOTA_MB * 2**20

    refused_over_quota(upload(editor, ws, "small", SMALL_CSV))
    assert not Dataset.objects.filter(workspace_id=ws, name="small").exists()
    refused_over_quota(run(editor, graph))
    assert not Run.objects.filter(workspace_id=ws).exists()
    storage = editor.get(f"/api/workspaces/{ws}/storage/").json()
    assert storage["quota_bytes"] == QUOTA_MB * 2**20 <= storage["total_bytes"]

    outsider = team_tx.client("outsider")  # another workspace is not held back
    assert upload(outsider, team_tx.foreign.pk, "small", SMALL_CSV).status_code == 201
    theirs = make_graph(outsider, team_tx.foreign.pk, SMALL)
    assert wait_for(outsider, run(outsider, theirs).json()["id"])["status"] == "succeeded"

    dataset = Dataset.objects.get(workspace_id=ws, name="big")
    assert editor.delete(f"/api/datasets/{dataset.pk}/").status_code == 204
    started = run(editor, graph)
    assert started.status_code == 201, started.json()
    assert wait_for(editor, started.json()["id"])["status"] == "succeeded"
    assert upload(editor, ws, "small", SMALL_CSV).status_code == 201


def test_a_workspace_whose_runs_filled_its_quota_runs_again_once_it_deletes_them(
    team_tx: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor, ws = team_tx.client("editor"), team_tx.workspace.pk
    writer = make_graph(editor, ws, WRITER)
    first = wait_for(editor, run(editor, writer).json()["id"])
    assert first["status"] == "succeeded", first
    # the figure checked is at most USAGE_SECONDS old: a run finishing is seen by then
    monkeypatch.setattr(room, "USAGE_SECONDS", 0.0)
    refused_over_quota(run(editor, writer))
    refused_over_quota(run(editor, make_graph(editor, ws, SMALL)))

    assert editor.delete(f"/api/runs/{first['id']}/").status_code == 204
    again = run(editor, writer)
    assert again.status_code == 201, again.json()


def test_the_storage_line_measures_again_and_a_quota_of_0_is_none(
    team_tx: Team, settings: Any
) -> None:
    editor, ws = team_tx.client("editor"), team_tx.workspace.pk
    writer = make_graph(editor, ws, WRITER)
    assert wait_for(editor, run(editor, writer).json()["id"])["status"] == "succeeded"
    # the page's storage line measures: the next check uses that figure, however recent the last
    assert editor.get(f"/api/workspaces/{ws}/storage/").json()["total_bytes"] > 2**20
    refused_over_quota(run(editor, writer))

    settings.DESIGNER_WORKSPACE_STORAGE_MB = 0
    assert editor.get(f"/api/workspaces/{ws}/storage/").json()["quota_bytes"] is None
    assert run(editor, writer).status_code == 201
