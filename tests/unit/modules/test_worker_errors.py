"""A user mistake reaches the run as a clear message naming the param, without a traceback."""

from __future__ import annotations

from pathlib import Path

from designer.engine.compile import compile_graph
from designer.engine.schema import parse_graph
from designer.engine.store import ArtifactStore
from designer.engine.worker import make_task, run_step
from tests.unit.modules.harness import REGISTRY


def test_bad_expression_fails_the_step_with_a_clear_message(tmp_path: Path) -> None:
    graph = {
        "schema_version": 1,
        "nodes": [
            {"id": "iris", "module": "data.sample_dataset@1", "params": {"name": "iris"}},
            {
                "id": "filter",
                "module": "transform.filter_rows@1",
                "params": {"expression": "petal_length > 2"},
            },
        ],
        "edges": [
            {
                "id": "e1",
                "source": {"node": "iris", "port": "dataset"},
                "target": {"node": "filter", "port": "dataset"},
            }
        ],
    }
    plan = compile_graph(parse_graph(graph), REGISTRY, {})
    store = ArtifactStore(tmp_path / "store")
    first = run_step(make_task(plan.steps[0], {}, run_id="r", attempt=1, store=store.root))
    record = first["outputs"]["dataset"]
    inputs = {"dataset": {"digest": record["digest"], "kind": record["kind"]}}
    failed = run_step(make_task(plan.steps[1], inputs, run_id="r", attempt=1, store=store.root))
    assert failed["status"] == "failed" and failed["retryable"] is False
    assert failed["param"] == "expression" and failed["traceback"] is None
    assert failed["error"].startswith(
        "expression: name 'petal_length' is not defined in `petal_length > 2`"
    )
