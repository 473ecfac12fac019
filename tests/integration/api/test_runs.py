"""Runs through the HTTP API on the embedded local runner: start, poll, reuse, preview, resume."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from designer.engine.store import ArtifactStore
from designer.runs import records
from designer.runs.models import DatasetVersion, RunEvent
from tests.integration.api.conftest import Team, schema_validator

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
FINAL = {"succeeded", "failed", "canceled"}


def wait_for(client: APIClient, run_id: int, timeout: float = 90.0) -> dict[str, Any]:
    """Poll a run until it is final."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/runs/{run_id}/").json()
        if body["status"] in FINAL:
            return body
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish: {body}")


def steps(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in run["steps"]}


def import_example(client: APIClient, ws: int, name: str) -> dict[str, Any]:
    document = json.loads((EXAMPLES / f"{name}.json").read_text())
    response = client.post(
        f"/api/workspaces/{ws}/graphs/import/?name={name}", document, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def assert_plain_scikit_learn(data: bytes, folder: Path) -> None:
    """The file loads with joblib in an interpreter that cannot import this project."""
    path = folder / "model.joblib"
    path.write_bytes(data)
    code = (
        "import joblib, sys\n"
        "model = joblib.load(sys.argv[1])\n"
        "assert 'designer' not in sys.modules\n"
        "print(type(model).__module__.split('.')[0], hasattr(model, 'predict'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code, str(path)], cwd=folder, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["sklearn", "True"]


def test_end_to_end_run_rerun_with_changed_param(team_tx: Team, tmp_path: Path) -> None:
    editor = team_tx.client("editor")
    graph = import_example(editor, team_tx.workspace.pk, "binary_breast_cancer")
    started = editor.post(f"/api/graphs/{graph['id']}/runs/", {}, format="json")
    assert started.status_code == 201, started.json()
    first = wait_for(editor, started.json()["id"])
    assert first["status"] == "succeeded", first
    assert {s["status"] for s in first["steps"]} == {"succeeded"}
    assert first["version"] == 1

    # a preview of each kind of output (JSON, a pickled model, a table) is what the schema says
    previewed = schema_validator("/api/runs/{id}/steps/{key}/outputs/{port}/preview/", "get", "200")
    outputs = {"json": "evaluate/outputs/metrics", "pickle": "train_logreg/outputs/model"}
    outputs["parquet"] = "data/outputs/dataset"
    for kind, output in outputs.items():
        preview = editor.get(f"/api/runs/{first['id']}/steps/{output}/preview/?limit=2")
        assert preview.status_code == 200
        body = json.loads(b"".join(preview.streaming_content)) if kind == "json" else preview.json()
        previewed.validate(body)
        assert body["kind"] == kind
    assert body["summary"]["rows"] == body["table"]["total_rows"]
    model = steps(first)["train_logreg"]["outputs"]["model"]["summary"]
    assert model["export"]["format"] == "joblib" and "LogisticRegression" in model["repr"]
    model = editor.get(
        f"/api/runs/{first['id']}/steps/train_logreg/outputs/model/download/?as=joblib"
    )
    assert model.status_code == 200
    assert_plain_scikit_learn(b"".join(model.streaming_content), tmp_path)

    draft = copy.deepcopy(graph["draft"])
    logreg = next(n for n in draft["nodes"] if n["id"] == "logreg")
    logreg["params"]["C"] = 0.01
    current = editor.get(f"/api/graphs/{graph['id']}/").json()["etag"]
    saved = editor.put(
        f"/api/graphs/{graph['id']}/draft/", draft, format="json", HTTP_IF_MATCH=current
    )
    assert saved.status_code == 200

    # the preview says what the run will do before it starts, and records nothing
    preview = editor.post(f"/api/graphs/{graph['id']}/plan/", {}, format="json").json()
    schema_validator("/api/graphs/{id}/plan/", "post", "200").validate(preview)
    actions = {s["key"]: s["action"] for s in preview["steps"]}
    assert actions["logreg"] == "run" and actions["data"] == "reuse"
    assert actions["train_logreg"] == "after" and actions["evaluate"] == "after"
    data_step = next(s for s in preview["steps"] if s["key"] == "data")
    assert data_step["reused_from"] == str(first["id"])
    assert preview["runs"][str(first["id"])]["created_by"] == "editor"
    assert [s["order"] for s in preview["steps"]] == list(range(1, len(preview["steps"]) + 1))

    second = wait_for(
        editor, editor.post(f"/api/graphs/{graph['id']}/runs/", {}, format="json").json()["id"]
    )
    assert second["status"] == "succeeded" and second["version"] == 2
    by_key = steps(second)
    reran = {k for k, s in by_key.items() if s["status"] == "succeeded"}
    assert reran == {"logreg", "train_logreg", "score_logreg", "evaluate"}
    assert "`C`" in by_key["logreg"]["reason"], by_key["logreg"]["reason"]
    assert all(s["reason"].startswith("reused") for k, s in by_key.items() if k not in reran)
    detail = editor.get(f"/api/runs/{second['id']}/").json()
    schema_validator("/api/runs/{id}/", "get", "200").validate(detail)
    assert detail["reused_runs"][str(first["id"])]["created_by"] == "editor"
    stored = editor.get(f"/api/runs/{second['id']}/plan/").json()
    schema_validator("/api/runs/{id}/plan/", "get", "200").validate(stored)
    assert {s["key"]: s["status"] for s in stored["steps"]} == {
        k: s["status"] for k, s in by_key.items()
    }

    # run vs run, either way round: the older run is the baseline
    compared = editor.get(f"/api/runs/{second['id']}/compare/{first['id']}/").json()
    schema_validator("/api/runs/{id}/compare/{other}/", "get", "200").validate(compared)
    assert (compared["older"]["id"], compared["newer"]["id"]) == (first["id"], second["id"])
    assert (compared["graph"], compared["graph_name"]) == (graph["id"], graph["name"])
    assert compared["workspace"] == detail["workspace"]
    rows = {s["key"]: s for s in compared["steps"]}
    assert not rows["data"]["changed"] and rows["data"]["why"] == []
    assert rows["logreg"]["changed"]
    assert {"kind": "param", "name": "C", "old": 1.0, "new": 0.01} in rows["logreg"]["why"]
    upstream = [w for w in rows["train_logreg"]["why"] if w["kind"] == "upstream"]
    assert upstream[0]["source"] == "logreg" and upstream[0]["source_label"]
    log_loss = [m for m in compared["metrics"] if m["name"] == "log_loss"]
    assert log_loss and all(m["better"] == "lower" for m in log_loss)
    moved = [m for m in log_loss if m["delta"]]
    assert moved and all(m["improved"] == (m["delta"] < 0) for m in moved)
    assert all(
        m["delta"] == m["newer"] - m["older"] for m in compared["metrics"] if m["delta"] is not None
    )

    # the pipeline's runs side by side: each with what its evaluating step reported
    table = editor.get(f"/api/graphs/{graph['id']}/metrics/").json()
    schema_validator("/api/graphs/{id}/metrics/", "get", "200").validate(table)
    assert [row["run"]["id"] for row in table["results"]] == [second["id"], first["id"]]
    assert table["results"][0]["run"]["version"] == 2
    for row, side in zip(table["results"], ("newer", "older"), strict=True):
        assert {m["step"] for m in row["metrics"]} == {"evaluate"}
        reported = {(m["input"], m["name"]): m["value"] for m in row["metrics"]}
        assert reported == {
            (m["input"], m["name"]): m[side] for m in compared["metrics"] if m["step"] == "evaluate"
        }
        assert all(m["label"] == rows["evaluate"]["label"] for m in row["metrics"])
    assert {m["better"] for m in table["results"][0]["metrics"] if m["name"] == "log_loss"} == {
        "lower"
    }

    kept = editor.delete(f"/api/graphs/{graph['id']}/")
    assert kept.status_code == 409 and kept.json()["code"] == "graph_has_runs"
    assert kept.json()["runs"] == 2
    assert editor.patch(f"/api/runs/{first['id']}/", {"pinned": True}, format="json").json()[
        "pinned"
    ]
    assert editor.delete(f"/api/runs/{first['id']}/").status_code == 204
    assert editor.get(f"/api/runs/{first['id']}/").status_code == 404
    assert editor.delete(f"/api/graphs/{graph['id']}/?with_runs=1").status_code == 204
    assert editor.get(f"/api/runs/{second['id']}/").status_code == 404


def chain_document(steps: int, script: str | None = None) -> dict[str, Any]:
    """A sample dataset followed by `steps - 1` select-columns steps (or a script at the end)."""
    nodes = [{"id": "s1", "module": "data.sample_dataset@1", "params": {"name": "iris"}}]
    edges = []
    for i in range(2, steps + 1):
        nodes.append(
            {
                "id": f"s{i}",
                "module": "transform.select_columns@1",
                "params": {"pattern": "^none$", "mode": "exclude"},
            }
        )
        edges.append(
            {
                "id": f"e{i}",
                "source": {"node": f"s{i - 1}", "port": "dataset"},
                "target": {"node": f"s{i}", "port": "dataset"},
            }
        )
    if script is not None:
        nodes.append({"id": "py", "module": "script.python@1", "params": {"code": script}})
        edges.append(
            {
                "id": "epy",
                "source": {"node": f"s{steps}", "port": "dataset"},
                "target": {"node": "py", "port": "dataset1"},
            }
        )
    return {"schema_version": 1, "parameters": {}, "nodes": nodes, "edges": edges, "comments": []}


def make_graph(client: APIClient, ws: int, document: dict[str, Any]) -> int:
    body = {"name": "chain", "document": document}
    response = client.post(f"/api/workspaces/{ws}/graphs/", body, format="json")
    assert response.status_code == 201, response.json()
    return int(response.json()["id"])


def run_new_graph(client: APIClient, ws: int, document: dict[str, Any]) -> dict[str, Any]:
    """Save `document` as a new graph of workspace `ws`, run it, and wait for the run to end."""
    graph = make_graph(client, ws, document)
    return wait_for(
        client, client.post(f"/api/graphs/{graph}/runs/", {}, format="json").json()["id"]
    )


FAILING = (
    "def azureml_main(df1, df2=None):\n    print('about to fail')\n    raise ValueError('boom')\n"
)
WORKING = "def azureml_main(df1, df2=None):\n    print('fine now')\n    return df1\n"


def test_failed_step_logs_and_edit_and_resume(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    gid = make_graph(editor, team_tx.workspace.pk, chain_document(2, FAILING))
    failed = wait_for(
        editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"]
    )
    assert failed["status"] == "failed"
    py = steps(failed)["py"]
    assert py["status"] == "failed" and "boom" in py["error"]
    log = editor.get(f"/api/runs/{failed['id']}/steps/py/log/").json()
    assert "about to fail" in log["text"]
    download = editor.get(f"/api/runs/{failed['id']}/steps/py/log/?download=1")
    assert b"about to fail" in b"".join(download.streaming_content)

    resumed = editor.post(
        f"/api/runs/{failed['id']}/resume/", {"params": {"py": {"code": WORKING}}}, format="json"
    )
    assert resumed.status_code == 201, resumed.json()
    assert resumed.json()["resumed_from"] == failed["id"]
    done = wait_for(editor, resumed.json()["id"])
    assert done["status"] == "succeeded"
    assert [steps(done)[k]["status"] for k in ("s1", "s2", "py")] == [
        "reused",
        "reused",
        "succeeded",
    ]
    bad = editor.post(f"/api/runs/{failed['id']}/resume/", {"params": {"zz": {}}}, format="json")
    assert bad.status_code == 400 and bad.json()["issues"][0]["node"] == "zz"


PLOTTING_WITH_METRICS = """import matplotlib.pyplot as plt


def azureml_main(df1, df2=None):
    df1.iloc[:, 0].plot.hist(bins={bins})
    plt.show()
    return df1, {{"rows": len(df1), "bins": {bins}}}
"""


def test_comparing_two_runs_reads_their_metrics_not_their_figures(
    team_tx: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script's figures (megabytes of images each, kind json) are not metrics: a comparison of
    two runs reads the Metrics outputs only, as the Metrics table does."""
    editor = team_tx.client("editor")
    gid = make_graph(
        editor, team_tx.workspace.pk, chain_document(1, PLOTTING_WITH_METRICS.format(bins=5))
    )
    first = wait_for(
        editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"]
    )
    current = editor.get(f"/api/graphs/{gid}/").json()["etag"]
    document = chain_document(1, PLOTTING_WITH_METRICS.format(bins=7))
    saved = editor.put(f"/api/graphs/{gid}/draft/", document, format="json", HTTP_IF_MATCH=current)
    assert saved.status_code == 200, saved.json()

    second = wait_for(
        editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"]
    )
    outputs = steps(second)["py"]["outputs"]
    assert {"figures", "metrics"} <= outputs.keys(), outputs
    read: list[str] = []
    get = ArtifactStore.get
    monkeypatch.setattr(
        ArtifactStore, "get", lambda self, digest: read.append(digest) or get(self, digest)
    )
    compared = editor.get(f"/api/runs/{second['id']}/compare/{first['id']}/").json()
    bins = next(m for m in compared["metrics"] if m["name"] == "bins")
    assert (bins["older"], bins["newer"], bins["delta"]) == (5, 7, 2)
    assert outputs["metrics"]["digest"] in read
    assert outputs["figures"]["digest"] not in read


def test_invalid_graph_is_refused_with_issues_and_nothing_saved(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    document = chain_document(2)
    document["nodes"][1]["params"]["mode"] = "sideways"
    gid = make_graph(editor, team_tx.workspace.pk, document)
    response = editor.post(f"/api/graphs/{gid}/runs/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_graph"
    assert response.json()["issues"][0]["node"] == "s2"
    assert editor.get(f"/api/graphs/{gid}/versions/").json()["count"] == 0
    assert editor.get(f"/api/graphs/{gid}/runs/").json()["count"] == 0
    unknown = editor.post(f"/api/graphs/{gid}/runs/", {"bypass": True}, format="json")
    assert unknown.status_code == 400 and unknown.json()["issues"][0]["field"] == "bypass"


SLEEPING_SCRIPT = (
    "import time\ndef azureml_main(df1, df2=None):\n    time.sleep({seconds})\n    return df1\n"
)


def start_sleeping_run(client: APIClient, workspace: int, seconds: int = 60) -> tuple[int, int]:
    """Start iris → a script that sleeps; return (graph id, run id) once the script runs."""
    slow = SLEEPING_SCRIPT.format(seconds=seconds)
    gid = make_graph(client, workspace, chain_document(1, slow))
    run_id = client.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"]
    deadline = time.monotonic() + 60
    while steps(client.get(f"/api/runs/{run_id}/").json())["py"]["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return gid, run_id


def check_a_hung_step_times_out_and_is_retried(client: APIClient, workspace: int) -> None:
    """A step over its node's timeout is stopped and tried again; each attempt says why."""
    document = chain_document(1, SLEEPING_SCRIPT.format(seconds=60))
    document["nodes"][-1]["execution"] = {"timeout": 1, "retries": 1}
    gid = make_graph(client, workspace, document)
    run = wait_for(client, client.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    py = steps(run)["py"]
    assert (run["status"], py["status"], py["attempts"]) == ("failed", "failed", 2)
    assert [(a["attempt"], a["status"], a["error"]) for a in py["history"]] == [
        (1, "failed", "timed out after 1s"),
        (2, "failed", "timed out after 1s"),
    ]
    statuses = [
        (e.data["status"], e.data["attempt"])
        for e in RunEvent.objects.filter(run_id=run["id"], type="step.status", data__step="py")
    ]
    assert ("retrying", 1) in statuses and statuses[-1] == ("failed", 2)
    assert statuses.index(("retrying", 1)) < statuses.index(("running", 2))


def test_a_hung_step_times_out_and_is_retried(team_tx: Team, settings: Any) -> None:
    settings.DESIGNER_RETRY_BACKOFF = 0.1
    check_a_hung_step_times_out_and_is_retried(team_tx.client("editor"), team_tx.workspace.pk)


def test_cancel_a_running_run(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    _, run_id = start_sleeping_run(editor, team_tx.workspace.pk)
    canceled = editor.post(f"/api/runs/{run_id}/cancel/")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert steps(wait_for(editor, run_id))["py"]["status"] == "canceled"
    assert editor.post(f"/api/runs/{run_id}/cancel/").status_code == 409
    from designer.runs import coordinator

    deadline = time.monotonic() + 30
    while coordinator.get().active(run_id):  # the step's process is killed, the thread ends
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert steps(editor.get(f"/api/runs/{run_id}/").json())["py"]["status"] == "canceled"


def test_output_preview_pages_and_download(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    gid = make_graph(editor, team_tx.workspace.pk, chain_document(1))
    run = wait_for(editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    base = f"/api/runs/{run['id']}/steps/s1/outputs/dataset"
    page = editor.get(f"{base}/preview/?offset=140&limit=20").json()
    assert page["table"]["total_rows"] == 150 and len(page["table"]["rows"]) == 10
    assert page["table"]["summary"]["rows"] == 150
    assert editor.get(f"{base}/preview/?limit=abc").status_code == 400
    assert editor.get(f"/api/runs/{run['id']}/steps/s1/outputs/nope/preview/").status_code == 404
    download = editor.get(f"{base}/download/")
    assert b"".join(download.streaming_content)[:4] == b"PAR1"
    as_csv = b"".join(editor.get(f"{base}/download/?as=csv").streaming_content).decode()
    rows = as_csv.strip().splitlines()
    assert len(rows) == 151 and "target" in rows[0]  # a header, then every row
    assert editor.get(f"{base}/download/?as=joblib").status_code == 404
    listed = editor.get(
        f"/api/workspaces/{team_tx.workspace.pk}/runs/?status=succeeded&graph={gid}"
    )
    assert [r["id"] for r in listed.json()["results"]] == [run["id"]]
    workspace_runs = f"/api/workspaces/{team_tx.workspace.pk}/runs/"
    assert editor.get(workspace_runs + "?status=weird").status_code == 400
    by_pipeline = editor.get(workspace_runs + "?q=CHAI").json()["results"]  # "chain", any case
    assert [r["id"] for r in by_pipeline] == [run["id"]]
    assert editor.get(workspace_runs + "?q=churn").json()["count"] == 0
    assert editor.get(workspace_runs + "?q=" + "x" * 201).status_code == 400


def test_event_log_is_gapless_and_ends_with_finished(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    gid = make_graph(editor, team_tx.workspace.pk, chain_document(3))
    run = wait_for(editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    events = list(RunEvent.objects.filter(run_id=run["id"]).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    counts = events[-1].data["counts"]
    assert events[-1].type == "run.finished" and counts["ran"] + counts["reused"] == 3
    assert run["seq"] == len(events)


def test_an_unchanged_rerun_reuses_every_step_with_its_reason_and_a_whole_event_log(
    team_tx: Team,
) -> None:
    editor = team_tx.client("editor")
    gid = make_graph(editor, team_tx.workspace.pk, chain_document(5))
    first = wait_for(
        editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"]
    )
    assert first["status"] == "succeeded", first
    run = wait_for(editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    assert run["status"] == "succeeded", run
    before = steps(first)
    for step in run["steps"]:
        assert step["status"] == "reused", step
        assert re.fullmatch(r"reused: key [0-9a-f]{12} from run \d+", step["reason"]), step
        earlier = before[step["key"]]  # the cache is shared: the first run may have reused too
        origin = earlier["reason"] if earlier["status"] == "reused" else f"run {first['id']}"
        assert step["reason"].endswith(" from " + origin.rpartition(" from ")[2]), (step, earlier)
        assert step["outputs"] == earlier["outputs"], step
    # finished in its POST and stored inline (decision 0038): its log is read from its record
    assert not RunEvent.objects.filter(run_id=run["id"]).exists()
    events = records.events_after(run["id"], 0)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert (events[0]["type"], events[0]["data"]) == ("run.status", {"status": "queued"})
    reused = [e["data"] for e in events if e["type"] == "step.status"]
    assert [(d["step"], d["status"]) for d in reused] == [(f"s{i}", "reused") for i in range(1, 6)]
    assert [d["reason"] for d in reused] == [s["reason"] for s in run["steps"]]
    assert [e["type"] for e in events[-2:]] == ["run.status", "run.finished"]
    assert events[-1]["data"]["counts"]["reused"] == 5 and run["seq"] == len(events)


def test_runs_left_by_a_previous_server_process_are_failed(team_tx: Team) -> None:
    from datetime import timedelta

    from designer.runs import coordinator, dispatch
    from designer.runs.models import Run

    editor = team_tx.client("editor")
    gid = make_graph(editor, team_tx.workspace.pk, chain_document(1))
    run = wait_for(editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    earlier = dispatch.PROCESS_STARTED - timedelta(minutes=5)
    Run.objects.filter(pk=run["id"]).update(status="running", finished_at=None, created_at=earlier)
    coordinator.recover()
    orphan = editor.get(f"/api/runs/{run['id']}/").json()
    assert orphan["status"] == "failed" and "server restarted" in orphan["error"]


def test_dataset_usage_lists_the_runs_that_read_it(team_tx: Team) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    editor, ws = team_tx.client("editor"), team_tx.workspace.pk
    upload = SimpleUploadedFile("prices.csv", b"x,y\n1,2\n3,4\n")
    version = editor.post(
        f"/api/workspaces/{ws}/datasets/", {"name": "prices", "file": upload}, format="multipart"
    ).json()
    document = chain_document(1)
    document["nodes"][0] = {
        "id": "s1",
        "module": "data.registered_dataset@1",
        "params": {"name": "prices"},
    }
    gid = make_graph(editor, ws, document)
    run = wait_for(editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    assert run["status"] == "succeeded", run
    preview = editor.get(f"/api/runs/{run['id']}/steps/s1/outputs/dataset/preview/").json()
    assert preview["table"]["rows"] == [[1, 2], [3, 4]]
    dataset = version["dataset"]["id"]
    usage = editor.get(f"/api/datasets/{dataset}/versions/{version['digest']}/usage/").json()
    assert [(u["run"], u["step"], u["label"]) for u in usage["results"]] == [
        (run["id"], "s1", "Registered dataset")
    ]
    # a dataset runs read is not deleted under them: it is archived instead
    refused = editor.delete(f"/api/datasets/{dataset}/")
    assert refused.status_code == 409 and refused.json()["runs"] == [run["id"]]
    assert str(run["id"]) in refused.json()["detail"]
    assert editor.delete(f"/api/datasets/{dataset}/?archive=1").status_code == 204
    listed = editor.get(f"/api/workspaces/{ws}/datasets/").json()["results"]
    assert "prices" not in [d["name"] for d in listed]
    archived = editor.get(f"/api/workspaces/{ws}/datasets/?archived=1").json()["results"]
    assert [d["name"] for d in archived] == ["prices"]
    again = editor.get(f"/api/runs/{run['id']}/steps/s1/outputs/dataset/preview/")
    assert again.status_code == 200  # what the run read is still there


def check_a_version_a_run_wrote_names_its_run_and_step(team: Team) -> None:
    """An export step's version names its run and step; a rerun that reuses the step writes no
    version; the index rebuilt from the store alone names them again."""
    editor, ws = team.client("editor"), team.workspace.pk
    document = chain_document(1)
    export = {
        "module": "output.export_data@1",
        "label": "Export scores",
        "params": {"name": "scores"},
    }
    document["nodes"].append({"id": "x1", **export})
    document["edges"].append(
        {
            "id": "ex",
            "source": {"node": "s1", "port": "dataset"},
            "target": {"node": "x1", "port": "dataset"},
        }
    )
    gid = make_graph(editor, ws, document)

    def scores() -> dict[str, Any]:
        listed = editor.get(f"/api/workspaces/{ws}/datasets/").json()["results"]
        return next(d for d in listed if d["name"] == "scores")

    first = wait_for(
        editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"]
    )
    assert first["status"] == "succeeded", first
    written = {"run": first["id"], "step": "x1", "label": "Export scores"}
    dataset = scores()
    assert dataset["latest"]["written_by"] == written
    assert dataset["latest"]["created_by"] is None

    again = wait_for(
        editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"]
    )
    assert steps(again)["x1"]["status"] == "reused"
    dataset = scores()
    assert dataset["version_count"] == 1 and dataset["latest"]["written_by"] == written

    DatasetVersion.objects.filter(dataset_id=dataset["id"]).delete()  # lose the index
    versions = editor.get(f"/api/datasets/{dataset['id']}/versions/").json()["results"]
    assert versions == []
    assert scores()["latest"]["written_by"] == written


def test_a_version_a_run_wrote_names_its_run_and_step(team_tx: Team) -> None:
    check_a_version_a_run_wrote_names_its_run_and_step(team_tx)


def test_a_chatty_step_is_logged_in_capped_batches_and_kept_whole(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    chatty = (
        "def azureml_main(df1, df2=None):\n"
        "    for i in range(3000):\n"
        "        print(f'line {i} ' + 'x' * 40)\n"
        "    return df1\n"
    )
    gid = make_graph(editor, team_tx.workspace.pk, chain_document(1, chatty))
    run = wait_for(editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    assert run["status"] == "succeeded", run
    batches = [
        e.data["lines"]
        for e in RunEvent.objects.filter(run_id=run["id"], type="step.log", data__step="py")
    ]
    printed = [line for lines in batches for line in lines if line.startswith("line ")]
    assert len(printed) == 3000
    assert all(len(lines) <= 200 for lines in batches) and len(batches) < 100
    text = editor.get(f"/api/runs/{run['id']}/steps/py/log/").json()["text"]
    assert "line 0 " in text and "line 2999 " in text
    assert "line 2999" in steps(run)["py"]["log_tail"]


def test_run_from_a_node_and_only_a_node(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    document = chain_document(3)
    document["nodes"][2]["params"]["pattern"] = "^from-test$"
    gid = make_graph(editor, team_tx.workspace.pk, document)
    wait_for(editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    body = {"from_node": "s2"}
    from_run = wait_for(
        editor, editor.post(f"/api/graphs/{gid}/runs/", body, format="json").json()["id"]
    )
    by_key = steps(from_run)
    assert by_key["s1"]["status"] == "reused"
    assert [by_key[k]["status"] for k in ("s2", "s3")] == ["succeeded", "succeeded"]
    assert "run from `s2`" in by_key["s2"]["reason"]
    only = editor.post(f"/api/graphs/{gid}/runs/", {"only_node": "s3"}, format="json").json()
    assert [s["key"] for s in wait_for(editor, only["id"])["steps"]] == ["s1", "s2", "s3"]
    both = editor.post(
        f"/api/graphs/{gid}/runs/", {"from_node": "s1", "only_node": "s3"}, format="json"
    )
    assert both.status_code == 400
    missing = editor.post(f"/api/graphs/{gid}/runs/", {"from_node": "nope"}, format="json")
    assert missing.status_code == 400 and missing.json()["issues"][0]["node"] == "nope"
