"""A workspace cannot fill the server's disk: below a floor of free space nothing more is stored.

Any signed-in user owns a workspace; uploads (up to DESIGNER_MAX_UPLOAD_BYTES each, as many
as they like), files sent with endpoint calls and runs whose steps write big outputs had no
bound but the disk, and a full disk takes every workspace down (the database, the logs and
the artifact store share it). Now, below DESIGNER_MIN_FREE_DISK_MB free on the data disk,
uploads and calls with files are refused (507) before their bodies are read, runs are refused
to start, and a step whose outputs would go below the floor fails as that step, having written
nothing (decision 0078). A test cannot fill the disk: the floor is set above the free space.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.engine.cache import NullCache
from designer.engine.compile import compile_graph
from designer.engine.diskspace import MB, free_bytes
from designer.engine.execute import execute
from designer.engine.results import RunResult
from designer.engine.schema import parse_graph
from designer.engine.store import ArtifactStore
from designer.modules import builtin_registry
from designer.runs import engine_setup
from designer.runs.models import Dataset, DatasetVersion, Run
from tests.integration.api.conftest import Team, fast_passwords, make_team  # noqa: F401
from tests.integration.api.test_runs import make_graph, wait_for
from tests.integration.endpoints.conftest import (
    create_graph,
    key_client,
    new_key,
    publish,
    scoring_document,
)
from tests.support.graphs import graph, node

pytestmark = pytest.mark.django_db(transaction=True)
CSV = b"a,b\n1,x\n-2,y\n3,z\n"
# above the free space by more than other processes on this host free meanwhile
MARGIN_MB = 512


def floor_above_free() -> int:
    """A floor (MB) the data disk is below now."""
    return free_bytes(django_settings.DESIGNER_ARTIFACT_ROOT) // MB + MARGIN_MB


def stored_objects() -> set[str]:
    return set(engine_setup.artifact_store().digests())


def refused_as_disk_full(answer: Any) -> None:
    assert answer.status_code == 507, answer.content[:300]
    body = answer.json()
    assert body["code"] == "disk_nearly_full"
    assert body["detail"].startswith("The server's disk is nearly full: ")
    assert " MB free, the floor is " in body["detail"]
    assert "(DESIGNER_MIN_FREE_DISK_MB)" in body["detail"] and "nothing was saved" in body["detail"]
    assert body["floor_bytes"] == django_settings.DESIGNER_MIN_FREE_DISK_MB * MB
    assert body["free_bytes"] < body["floor_bytes"]


def upload(client: Any, workspace: int, name: str) -> Any:
    file = SimpleUploadedFile(f"{name}.csv", CSV)
    return client.post(
        f"/api/workspaces/{workspace}/datasets/", {"name": name, "file": file}, "multipart"
    )


def test_below_the_floor_an_upload_is_refused_and_nothing_is_saved(
    team_tx: Team, settings: Any
) -> None:
    editor = team_tx.client("editor")
    before = stored_objects()
    settings.DESIGNER_MIN_FREE_DISK_MB = floor_above_free()
    refused_as_disk_full(upload(editor, team_tx.workspace.pk, "numbers"))
    assert not Dataset.objects.filter(workspace=team_tx.workspace).exists()
    assert stored_objects() == before
    assert list(engine_setup.artifact_store().tmp.iterdir()) == []

    settings.DESIGNER_MIN_FREE_DISK_MB = 0  # no floor: the same upload is stored
    assert upload(editor, team_tx.workspace.pk, "numbers").status_code == 201


def test_below_the_floor_a_run_is_refused_to_start(team_tx: Team, settings: Any) -> None:
    editor = team_tx.client("editor")
    doc = {
        "schema_version": 1,
        "parameters": {},
        "nodes": [{"id": "data", "module": "data.enter_data@1", "params": {"csv": "a\n1\n"}}],
        "edges": [],
    }
    graph_id = make_graph(editor, team_tx.workspace.pk, doc)
    settings.DESIGNER_MIN_FREE_DISK_MB = floor_above_free()
    refused_as_disk_full(editor.post(f"/api/graphs/{graph_id}/runs/", {}, format="json"))
    assert not Run.objects.filter(workspace=team_tx.workspace).exists()

    settings.DESIGNER_MIN_FREE_DISK_MB = 0
    started = editor.post(f"/api/graphs/{graph_id}/runs/", {}, format="json")
    assert started.status_code == 201
    assert wait_for(editor, started.json()["id"])["status"] == "succeeded"


def test_below_the_floor_an_endpoint_call_sending_a_file_is_refused(
    team_tx: Team, settings: Any
) -> None:
    editor = team_tx.client("editor")
    endpoint = publish(
        editor, team_tx.workspace.pk, create_graph(editor, team_tx.workspace.pk, scoring_document())
    )
    caller = key_client(new_key(editor, team_tx.workspace.pk, endpoint["id"]))
    settings.DESIGNER_MIN_FREE_DISK_MB = floor_above_free()
    answer = caller.post(
        f"/api/endpoints/{endpoint['id']}/invoke/",
        {"parameters": json.dumps({"where": "a > 0"}), "rows": SimpleUploadedFile("r.csv", CSV)},
        format="multipart",
    )
    refused_as_disk_full(answer)
    assert not DatasetVersion.objects.filter(dataset__name__startswith="endpoint.").exists()


def _run(root: Path, min_free: int) -> RunResult:
    nodes = [
        node("data", "data.enter_data@1", csv="a,b\n" + "".join(f"{i},{i}\n" for i in range(999))),
        node("kept", "transform.select_columns@1", columns=["a"]),
    ]
    plan = compile_graph(
        parse_graph(graph(nodes, [("data.dataset", "kept.dataset")])), builtin_registry(), {}
    )
    runner = engine_setup.step_runner(2, engine_setup.PRELOAD)
    try:
        return execute(
            plan,
            runner=runner,
            store=ArtifactStore(root),
            cache=NullCache(),
            retries=2,
            backoff=0.01,
            min_free=min_free,
        )
    finally:
        runner.close()


def test_a_step_whose_outputs_would_go_below_the_floor_fails_having_written_nothing(
    tmp_path: Path,
) -> None:
    floor = free_bytes(tmp_path) + MARGIN_MB * MB
    result = _run(tmp_path, floor)
    data = result.steps["data"]
    assert (data.status.value, data.attempts) == ("failed", 1)  # not retried
    assert data.error.startswith("the server's disk is nearly full: ")
    assert f", the floor is {floor // MB:,} MB (DESIGNER_MIN_FREE_DISK_MB)" in data.error
    assert result.steps["kept"].status.value != "succeeded"
    assert list(ArtifactStore(tmp_path).digests()) == []
    assert list((tmp_path / "tmp").iterdir()) == []

    again = _run(tmp_path, 0)  # no floor: the same run stores its outputs
    assert again.status == "succeeded"
