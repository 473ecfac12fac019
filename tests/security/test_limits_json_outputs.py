"""A custom module's JSON outputs are bounded where the worker takes them, and their readers
never load or list more than the bound (decision 0089).

Before, a custom module (code any team may write) could return JSON up to the 2 GB results
limit: the output's preview loaded all of it into the web server, and a Metrics output of a
million keys was read, and answered a row per key, by the metrics table of every run page and
by the run comparison. Now a JSON output over MAX_JSON_BYTES, or a Metrics output of more than
MAX_METRICS metrics, fails its step naming the port and the limit, and nothing of the step is
stored; outputs stored before the bound are not previewed past it, nor listed past it.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from designer.engine.artifacts import MAX_FIGURES, MAX_JSON_BYTES, SUMMARY_KEY_CHARS
from designer.engine.compile import compile_graph
from designer.engine.hashing import canonical_json
from designer.engine.metrics import MAX_METRICS
from designer.engine.schema import parse_graph
from designer.engine.store import ArtifactStore
from designer.engine.worker import make_task, run_step
from designer.graphs.models import Graph, GraphVersion
from designer.modules import load_registry
from designer.runs import engine_setup
from designer.runs.models import Run, StepRun
from designer.sizes import size_text
from tests.integration.api.conftest import Team, make_team

SPEC = """name: custom.flood
entry_point: flood.py:run
outputs:
  - {name: table, type: DataFrame}
  - {name: %(port)s, type: %(type)s}
"""
CODE = """import pandas as pd

def run(ctx):
    return {"table": pd.DataFrame({"n": range(3)}), %(port)r: %(value)s}
"""


def run_flood(tmp_path: Path, port: str, port_type: str, value: str) -> dict[str, Any]:
    """Run a custom module (in the sandbox, through the engine's worker) that returns a small
    table and `value` on a JSON port; its result, and what the store holds afterwards."""
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "flood.yaml").write_text(SPEC % {"port": port, "type": port_type})
    (folder / "flood.py").write_text(CODE % {"port": port, "value": value})
    document = {
        "schema_version": 1,
        "nodes": [{"id": "flood", "module": "custom.flood@1", "params": {}}],
        "edges": [],
    }
    plan = compile_graph(parse_graph(document), load_registry([folder]), {})
    store = ArtifactStore(tmp_path / "artifacts")
    task = make_task(plan.steps[0], {}, run_id="r", attempt=1, store=store.root)
    result = run_step(task)
    result["stored"] = sorted(p.name for p in store.objects.rglob("*") if p.is_file())
    return result


@pytest.mark.parametrize(
    ("port_type", "value"),
    [
        ("Metrics", '{"blob": "x" * 40_000_000}'),
        ("Any", '["x" * 1000] * 40_000'),
        (
            "Figures",
            '{"figures": [{"title": "t", "width": 1, "height": 1, "png": "A" * 40_000_000}]}',
        ),
    ],
)
def test_a_json_output_past_the_bound_fails_its_step_and_stores_nothing(
    tmp_path: Path, port_type: str, value: str
) -> None:
    result = run_flood(tmp_path, "out", port_type, value)
    assert result["status"] == "failed", result
    assert "output `out`" in result["error"], result["error"]
    assert f"{MAX_JSON_BYTES:,} bytes" in result["error"], result["error"]
    assert result["port"] == "out" and not result["retryable"]
    assert result["stored"] == []


def test_a_metrics_output_of_a_million_keys_fails_its_step_and_stores_nothing(
    tmp_path: Path,
) -> None:
    million = "{f'k{i}': i for i in range(1_000_000)}"
    result = run_flood(tmp_path, "metrics", "Metrics", million)
    assert result["status"] == "failed", result
    assert result["error"] == (
        f"output `metrics` holds 1,000,000 metrics; a Metrics output may hold at most "
        f"{MAX_METRICS:,}: return a table (DataFrame) for more"
    )
    assert result["stored"] == []


def test_outputs_within_the_bounds_are_stored(tmp_path: Path) -> None:
    most = f"{{f'k{{i}}': i for i in range({MAX_METRICS})}}"
    result = run_flood(tmp_path, "metrics", "Metrics", most)
    assert result["status"] == "succeeded", result
    assert len(result["stored"]) == 2


def test_a_summary_holds_a_bounded_start_of_the_texts_a_module_chose(tmp_path: Path) -> None:
    """30 keys of a million characters made a 30 MB summary, sent with every event and answer
    naming the output (decision 0100): each key is listed by its first characters."""
    keys = "{'k' * 1_000_000 + str(i): 0 for i in range(30)}"
    result = run_flood(tmp_path, "out", "Any", keys)
    assert result["status"] == "succeeded", result
    summary = json.loads(result["outputs_json"])["out"]["summary"]
    assert len(summary["keys"]) == 30
    assert all(len(key) == SUMMARY_KEY_CHARS and key.endswith("…") for key in summary["keys"])


def test_a_figures_output_of_half_a_million_figures_fails_its_step(tmp_path: Path) -> None:
    """Their summary (each figure's title and size) was 20 MB (decision 0100)."""
    figures = "{'figures': [{'title': '', 'width': 1, 'height': 1, 'png': ''}] * 500_000}"
    result = run_flood(tmp_path, "plots", "Figures", figures)
    assert result["status"] == "failed", result
    assert result["error"] == (
        f"output `plots` holds 500,000 figures; a Figures output may hold at most {MAX_FIGURES}"
    )
    assert result["stored"] == []


@pytest.fixture
def team(transactional_db: None) -> Team:
    return make_team()


SCRIPT = {"id": "py", "module": "script.python@1", "params": {"code": "x = 1"}}


def old_run(team: Team, metrics: bytes) -> Run:
    """A succeeded run of a script whose Metrics output was stored before the bounds."""
    document = {"schema_version": 1, "parameters": {}, "nodes": [SCRIPT], "edges": []}
    graph = Graph.objects.create(workspace=team.workspace, name="old", draft=document)
    version = GraphVersion.objects.create(graph=graph, number=1, document=document)
    run = Run.objects.create(
        workspace=team.workspace, graph_version=version, runner="local", status="succeeded"
    )
    digest = engine_setup.artifact_store().put(metrics)
    record = {"digest": digest, "kind": "json", "size": len(metrics), "summary": {}}
    StepRun.objects.create(
        run=run, key="py", module="script.python@1", status="succeeded", outputs={"metrics": record}
    )
    return run


def test_a_json_output_stored_before_the_bound_is_not_previewed(team: Team) -> None:
    huge = json.dumps({"blob": "x" * (MAX_JSON_BYTES + 1)}).encode()
    run = old_run(team, huge)
    viewer = team.client("viewer")
    answer = viewer.get(f"/api/runs/{run.pk}/steps/py/outputs/metrics/preview/")
    assert answer.status_code == 422, answer.status_code
    body = answer.json()
    assert body["code"] == "too_large_to_preview"
    assert f"py.metrics is {size_text(len(huge))} of JSON" in body["detail"]
    assert (
        viewer.get(f"/api/graphs/{run.graph_version.graph_id}/metrics/").json()["results"][0][
            "metrics"
        ]
        == []
    )
    download = viewer.get(f"/api/runs/{run.pk}/steps/py/outputs/metrics/download/")
    assert download.status_code == 200


def test_a_metrics_output_of_a_million_keys_stored_before_the_bound_lists_the_most(
    team: Team,
) -> None:
    million = json.dumps({f"k{i:07d}": i for i in range(1_000_000)}).encode()
    run = old_run(team, million)
    viewer = team.client("viewer")
    table = viewer.get(f"/api/graphs/{run.graph_version.graph_id}/metrics/?limit=1").json()
    listed = table["results"][0]["metrics"]
    assert len(listed) == MAX_METRICS
    assert [m["name"] for m in listed[:2]] == ["k0000000", "k0000001"]


def pieces_of(answer: Any) -> Iterable[bytes]:
    """An answer's body as the server sends it: piece by piece if streamed."""
    return answer.streaming_content if answer.streaming else [answer.content]


def test_a_json_output_is_previewed_as_stored_without_the_server_parsing_it(team: Team) -> None:
    """A 20 MB JSON value (within the bound: a script's figures can be 27 MB) was parsed into
    ~10 times its size of Python objects, then encoded again, for each preview request."""
    value = {"curve": [i / 7 for i in range(1_000_000)], "name": "é"}
    stored = canonical_json(value).encode()
    assert 15 << 20 < len(stored) < MAX_JSON_BYTES
    run = old_run(team, stored)
    viewer = team.client("viewer")
    preview = f"/api/runs/{run.pk}/steps/py/outputs/metrics/preview/"
    body = json.loads(b"".join(pieces_of(viewer.get(preview))))  # and what it imports
    assert body["value"] == value and body["kind"] == "json" and body["step"] == "py"
    tracemalloc.start()
    try:
        answer = viewer.get(preview)
        sent = sum(len(piece) for piece in pieces_of(answer))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert sent > len(stored) and peak < 8 << 20, f"the server held {peak >> 20} MB"
