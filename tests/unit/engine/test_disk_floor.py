"""A folder store's floor of free disk space: a step whose outputs would go below it fails as
that step, having written nothing (decision 0078). A test cannot fill the disk: the floor is
set above the free space (by more than other processes on this host free meanwhile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.engine.compile import compile_document
from designer.engine.diskspace import MB, DiskNearlyFull, free_bytes
from designer.engine.registry import Registry
from designer.engine.runners.local import LocalRunner
from designer.engine.store import ArtifactStore
from designer.engine.worker import make_task, run_step
from tests.support.graphs import graph, node
from tests.unit.engine.conftest import Env

MARGIN = 512 * MB


def above_free(folder: Path) -> int:
    return free_bytes(folder) + MARGIN


def test_a_store_refuses_bytes_below_its_floor_and_keeps_nothing(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path, min_free=above_free(tmp_path))
    source = tmp_path / "source"
    source.write_bytes(b"x" * 1000)
    with pytest.raises(DiskNearlyFull) as refused:
        store.put(b"some bytes")
    assert str(refused.value).startswith("the server's disk is nearly full: ")
    assert "the floor is" in str(refused.value)
    with pytest.raises(DiskNearlyFull):
        store.put_file(source)
    with pytest.raises(DiskNearlyFull):
        store.write(lambda sink: sink.write(b"streamed"))
    assert list(store.digests()) == [] and list(store.tmp.iterdir()) == []

    unbounded = ArtifactStore(tmp_path)  # no floor: the same bytes are stored
    assert unbounded.get(unbounded.put(b"some bytes")) == b"some bytes"


@pytest.mark.parametrize("rows", [10, 300_000], ids=["small table", "streamed table"])
def test_a_step_whose_outputs_would_go_below_the_floor_fails_naming_it(
    tmp_path: Path, reg: Registry, rows: int
) -> None:
    plan = compile_document(graph([node("big", "test.frame@1", rows=rows)]), reg, {})
    task = plan.step("big").task_form()
    floor = above_free(tmp_path)
    result = run_step(
        make_task(task, {}, run_id="r", attempt=1, store=tmp_path, min_free=floor),
        capture_output=False,
    )
    assert result["status"] == "failed" and result["retryable"] is False
    assert result["error"].startswith("the server's disk is nearly full: ")
    assert f", the floor is {floor // MB:,} MB (DESIGNER_MIN_FREE_DISK_MB)" in result["error"]
    assert result["traceback"] is None
    store = ArtifactStore(tmp_path)
    assert list(store.digests()) == [] and list(store.tmp.iterdir()) == []


def test_a_run_below_the_floor_fails_at_its_first_step_and_runs_without_it(
    tmp_path: Path, reg: Registry
) -> None:
    with LocalRunner(2) as runner:
        env = Env(tmp_path, reg, runner)
        doc = graph(
            [node("data", "test.frame@1", rows=100), node("head", "test.head@1", n=5)],
            [("data.dataset", "head.dataset")],
        )
        floor = above_free(tmp_path)
        result = env.run(doc, retries=2, backoff=0.01, min_free=floor)
        data = result.steps["data"]
        assert (data.status.value, data.attempts) == ("failed", 1)
        assert "the server's disk is nearly full" in (data.error or "")
        assert result.steps["head"].status.value != "succeeded"
        assert list(env.store.digests()) == []
        assert env.run(doc).status == "succeeded"
