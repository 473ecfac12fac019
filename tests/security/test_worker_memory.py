"""A built-in step cannot take the host's memory: its worker has a bound, and a join says first.

Built-in steps run in the server's local worker processes, which had no memory limit: one user's
Join on a constant key of two 100,000-row tables (10,000,000,000 rows) grew a worker until the
host ran out, and the kernel's OOM killer picked among every workspace's steps and the server.
Now the runner stops a worker past DESIGNER_WORKER_MAX_MEMORY_MB and fails its step as out of
memory, and the Join refuses up front a join whose rows cannot fit (decision 0074). The limits
here are small, so that these attacks (a few hundred MB to a gigabyte without the bound) are
quick and safe.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from designer.engine.cache import NullCache
from designer.engine.compile import compile_graph
from designer.engine.context import StepError
from designer.engine.execute import execute
from designer.engine.memory import LIMIT_VARIABLE, MB
from designer.engine.results import RunResult
from designer.engine.runners.routing import RoutingRunner
from designer.engine.schema import parse_graph
from designer.engine.store import ArtifactStore
from designer.modules import builtin_registry
from designer.runs import engine_setup
from tests.support.graphs import graph, node
from tests.unit.modules.harness import ModuleRunner

ROWS = 3_000  # a side: 9,000,000 rows joined on a constant key
EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.json"))
CONSTANT_KEY = "k,v\n" + "".join(f"0,{i}\n" for i in range(ROWS))


def test_a_join_on_a_constant_key_is_refused_before_it_runs_naming_its_keys(
    run: ModuleRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LIMIT_VARIABLE, str(256 * MB))
    side = pd.DataFrame({"k": [0] * ROWS, "v": range(ROWS)})
    with pytest.raises(StepError) as refused:
        run("transform.join@1", {"keys": ["k"]}, left=side, right=side)
    assert refused.value.param == "keys"
    assert str(refused.value).startswith(
        "keys: joining on 'k' = 'k' would produce 9,000,000 rows (at least 411 MB), more than "
        "the 256 MB a step may use here (DESIGNER_WORKER_MAX_MEMORY_MB)"
    )
    lookup = pd.DataFrame({"k": [0], "name": ["zero"]})  # the same rows, each matching once
    assert len(run("transform.join@1", {"keys": ["k"]}, left=side, right=lookup)["dataset"]) == ROWS


@pytest.fixture
def server_runner(settings: Any) -> Iterator[RoutingRunner]:
    """The server's step runner (engine_setup), with a small bound on each worker."""
    settings.DESIGNER_WORKER_MAX_MEMORY_MB = 512
    runner = engine_setup.step_runner(2, engine_setup.PRELOAD)
    yield runner
    runner.close()


def _run(runner: RoutingRunner, root: Path, doc: dict[str, Any]) -> RunResult:
    plan = compile_graph(parse_graph(doc), builtin_registry(), {})
    store = ArtifactStore(root)
    return execute(plan, runner=runner, store=store, cache=NullCache(), retries=2, backoff=0.01)


def test_a_join_past_the_workers_memory_fails_alone_and_the_worker_is_replaced(
    server_runner: RoutingRunner, tmp_path: Path
) -> None:
    # 9,000,000 rows of three integer columns need at least 411 MB by the Join's own count
    # (under 512 MB, so it runs); the merge and the table's storing need more than the bound
    nodes = [
        node("left", "data.enter_data@1", csv=CONSTANT_KEY),
        node("right", "data.enter_data@1", csv=CONSTANT_KEY + "1,-1\n"),
        node("join", "transform.join@1", keys=["k"]),
        node("other", "data.enter_data@1", csv="a\n1\n2\n"),
        node("kept", "transform.select_columns@1", columns=["a"]),
    ]
    wires = [
        ("left.dataset", "join.left"),
        ("right.dataset", "join.right"),
        ("other.dataset", "kept.dataset"),
    ]
    local = server_runner.local
    local.start()
    before = set(local.pids())
    result = _run(server_runner, tmp_path, graph(nodes, wires))
    join = result.steps["join"]
    assert (join.status.value, join.attempts) == ("failed", 1)  # not retried: it would again
    assert join.error == (
        "the step ran out of memory: the worker's limit is 512 MB "
        "(DESIGNER_WORKER_MAX_MEMORY_MB); the worker was stopped and replaced"
    )
    assert {k: s.status.value for k, s in result.steps.items() if k != "join"} == dict.fromkeys(
        ("left", "right", "other", "kept"), "succeeded"
    )
    after = set(local.pids())
    assert len(after) == len(before) and len(before - after) == 1
    again = _run(
        server_runner, tmp_path, graph(nodes[3:], wires[2:])
    )  # the next run, on new workers
    assert again.status == "succeeded"


def test_the_example_pipelines_run_under_the_default_bound(tmp_path: Path) -> None:
    from django.conf import settings

    host = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert max(2048, host // 2 // MB) == settings.DESIGNER_WORKER_MAX_MEMORY_MB
    runner = engine_setup.step_runner(2, engine_setup.PRELOAD)
    try:
        assert runner.local.memory_limit == settings.DESIGNER_WORKER_MAX_MEMORY_MB * MB
        for example in EXAMPLES:
            result = _run(runner, tmp_path, json.loads(example.read_text()))
            assert result.status == "succeeded", (example.name, result.status)
    finally:
        runner.close()
