"""Retention: old runs go past the setting (pinned ones stay), then every artifact, cache entry
and log no run uses; the workspace reports the storage it takes."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command

from designer.runs import engine_setup, logs
from designer.runs.models import Run, StepRun
from designer.runs.retention import collect
from tests.integration.api.conftest import Team
from tests.integration.api.test_datasets import upload
from tests.integration.api.test_runs import chain_document, make_graph, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _log_chunks(run_id: int) -> set[str]:
    histories = StepRun.objects.filter(run_id=run_id).values_list("history", flat=True)
    return {digest for history in histories for digest in logs.chunk_digests(history)}


def test_old_runs_and_what_only_they_used_are_collected(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    ws = team_tx.workspace.pk
    document = chain_document(2)
    gid = make_graph(editor, ws, document)
    runs = []
    for pattern in ("^sepal length", "^sepal width", "^petal length"):  # new outputs each time
        document["nodes"][1]["params"]["pattern"] = pattern
        graph = editor.get(f"/api/graphs/{gid}/").json()
        editor.put(
            f"/api/graphs/{gid}/draft/", document, format="json", HTTP_IF_MATCH=graph["etag"]
        )
        run = editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()
        runs.append(wait_for(editor, run["id"]))
    first, second, third = runs
    assert (
        editor.patch(f"/api/runs/{first['id']}/", {"pinned": True}, format="json").status_code
        == 200
    )
    used = editor.get(f"/api/workspaces/{ws}/storage/").json()
    assert used["runs"] == 3 and used["artifacts_bytes"] > 0 and used["logs_bytes"] > 0
    assert (
        used["total_bytes"] == used["artifacts_bytes"] + used["logs_bytes"] + used["datasets_bytes"]
    )

    only_second = second["steps"][1]["outputs"]["dataset"]["digest"]
    store = engine_setup.artifact_store()
    assert store.exists(only_second)
    kept_logs = _log_chunks(first["id"]) | _log_chunks(third["id"])
    assert kept_logs and all(store.exists(d) for d in kept_logs)
    upload(team_tx, "kept", "kept.csv", b"a,b\n1,2\n")  # a dataset version: no run names it
    out = io.StringIO()
    call_command("gc_artifacts", "--keep", "1", "--dry-run", stdout=out)
    assert out.getvalue().startswith("would remove 1 runs")
    assert Run.objects.filter(pk=second["id"]).exists()

    done = collect(1, grace=0)
    assert done.runs == 1  # the second run: the first is pinned, the third the newest
    assert set(Run.objects.filter(workspace_id=ws).values_list("pk", flat=True)) == {
        first["id"],
        third["id"],
    }
    assert not store.exists(only_second) and done.objects >= 1 and done.cache_entries >= 1
    assert all(store.exists(d) for d in kept_logs)  # the kept runs' logs, and a dataset
    pages = [
        editor.get(f"/api/runs/{kept['id']}/steps/{step['key']}/log/").json()
        for kept in (first, third)
        for step in kept["steps"]
    ]
    assert any(page["total"] for page in pages)
    assert all(len(page["lines"]) == page["total"] for page in pages)
    version = engine_setup.dataset_store(ws).read("kept")[1]
    assert store.exists(version)
    for kept in (first, third):
        for step in kept["steps"]:
            assert all(store.exists(o["digest"]) for o in step["outputs"].values())
    assert (
        editor.get(f"/api/workspaces/{ws}/storage/").json()["artifacts_bytes"]
        < used["artifacts_bytes"]
    )
    # the second run's result is no longer offered from the cache: it runs again
    document["nodes"][1]["params"]["pattern"] = "^sepal width"
    graph = editor.get(f"/api/graphs/{gid}/").json()
    editor.put(f"/api/graphs/{gid}/draft/", document, format="json", HTTP_IF_MATCH=graph["etag"])
    again = wait_for(
        editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"]
    )
    assert [s["status"] for s in again["steps"]] == ["reused", "succeeded"]


def test_a_table_kept_as_a_recipe_is_served_and_keeps_what_it_needs(team_tx: Team) -> None:
    """Split's outputs are recipes over its input plus a patch object no step names: a
    collection keeps both, and the preview and downloads serve the same bytes as before."""
    editor = team_tx.client("editor")
    document = chain_document(1)
    document["nodes"].append(
        {"id": "split", "module": "transform.split_rows@1", "params": {"fraction": 0.2}}
    )
    document["edges"].append(
        {
            "id": "e-split",
            "source": {"node": "s1", "port": "dataset"},
            "target": {"node": "split", "port": "dataset"},
        }
    )
    gid = make_graph(editor, team_tx.workspace.pk, document)
    run = wait_for(editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    assert run["status"] == "succeeded"
    output = next(s for s in run["steps"] if s["key"] == "split")["outputs"]["test"]
    store = engine_setup.artifact_store()
    needed = store.requires(output["digest"])
    assert store.recipe(output["digest"]) is not None and len(needed) == 2  # parent and patch

    collect(50, grace=0)
    assert all(store.exists(digest) for digest in [output["digest"], *needed])
    base = f"/api/runs/{run['id']}/steps/split/outputs/test/"
    page = editor.get(base + "preview/?limit=5").json()
    assert page["table"]["total_rows"] == 30 and len(page["table"]["rows"]) == 5
    parquet = b"".join(editor.get(base + "download/").streaming_content)
    assert hashlib.sha256(parquet).hexdigest() == output["digest"]
    csv = b"".join(editor.get(base + "download/?as=csv").streaming_content).decode()
    assert len(csv.strip().splitlines()) == 31


def test_a_run_reading_a_dataset_keeps_a_reference_to_it_counted_and_collected_once(
    team_tx: Team,
) -> None:
    editor = team_tx.client("editor")
    ws = team_tx.workspace.pk
    rows = "\n".join(f"{i},{i * 0.5},{'ab'[i % 2]}" for i in range(20_000))
    created = upload(team_tx, "loans", "loans.csv", f"n,x,k\n{rows}\n".encode())
    assert created.status_code == 201, created.json()  # type: ignore[attr-defined]
    version = created.json()["digest"]  # type: ignore[attr-defined]
    dataset = created.json()["dataset"]  # type: ignore[attr-defined]
    node = {"id": "read", "module": "data.registered_dataset@1", "params": {"name": "loans"}}
    document = {"schema_version": 1, "parameters": {}, "nodes": [node], "edges": []}
    gid = make_graph(editor, ws, document)
    run = wait_for(editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    assert run["status"] == "succeeded", run
    output = run["steps"][0]["outputs"]["dataset"]["digest"]
    store = engine_setup.artifact_store()
    assert store.recipe(output) is not None and store.requires(output) == [version]

    used = editor.get(f"/api/workspaces/{ws}/storage/").json()
    assert used["datasets_bytes"] == store.size(version)
    assert used["artifacts_bytes"] < used["datasets_bytes"] / 10  # the recipe, not a copy
    assert (
        used["total_bytes"] == used["artifacts_bytes"] + used["logs_bytes"] + used["datasets_bytes"]
    )

    # the dataset goes (archived: a run read it); the run's output still reads from its bytes
    assert editor.delete(f"/api/datasets/{dataset['id']}/?archive=1").status_code == 204
    collect(10, grace=0)
    assert store.exists(version)
    preview = editor.get(f"/api/runs/{run['id']}/steps/read/outputs/dataset/preview/")
    assert preview.status_code == 200, preview.json()
    assert preview.json()["table"]["total_rows"] == 20_000
