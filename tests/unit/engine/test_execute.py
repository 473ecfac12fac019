"""Executor + LocalRunner: parallelism, retries, timeouts, cancel, early cutoff, reasons, events."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from designer.engine.cache import FileCache, NullCache
from designer.engine.cancel import CancelToken
from designer.engine.datasets import StoredDatasets
from designer.engine.events import EventType
from designer.engine.runners.local import LocalRunner
from tests.support.graphs import graph, node
from tests.support.processes import children
from tests.unit.engine.conftest import Env


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _gone_soon(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_independent_steps_run_in_parallel(env: Env) -> None:
    doc = graph([node("a", "test.sleep@1", seconds=1.0), node("b", "test.sleep@1", seconds=1.0)])
    result = env.run(doc, parallelism=2)
    assert result.status == "succeeded"
    a, b = result.steps["a"], result.steps["b"]
    assert a.started_at is not None and b.started_at is not None
    assert a.finished_at is not None and b.finished_at is not None
    # the two sleeps overlap in time: each started before the other finished
    assert a.started_at < b.finished_at and b.started_at < a.finished_at


def test_parallelism_limit_is_respected(env: Env) -> None:
    doc = graph([node("a", "test.sleep@1", seconds=0.2), node("b", "test.sleep@1", seconds=0.2)])
    result = env.run(doc, parallelism=1)
    a, b = sorted(result.steps.values(), key=lambda s: s.started_at or 0)
    assert a.finished_at is not None and b.started_at is not None
    assert b.started_at >= a.finished_at


def test_ready_steps_start_without_waiting_for_their_level(env: Env) -> None:
    # a → b is short, c is long: b must start while c still runs (not level by level)
    doc = graph(
        [
            node("a", "test.sleep@1", seconds=0.05),
            node("b", "test.sleep@1", seconds=0.05),
            node("c", "test.sleep@1", seconds=0.8),
        ],
        [("a.out", "b.in")],
    )
    result = env.run(doc)
    b, c = result.steps["b"], result.steps["c"]
    assert b.finished_at is not None and c.finished_at is not None
    assert b.finished_at < c.finished_at


def test_retry_with_backoff_then_success(env: Env, tmp_path: Path) -> None:
    doc = graph([node("f", "test.flaky@1", times=2, marker_dir=str(tmp_path))])
    result = env.run(doc, retries=2, backoff=0.05)
    step = result.steps["f"]
    assert (result.status, step.status.value, step.attempts) == ("succeeded", "succeeded", 3)
    retrying = [e for e in env.events if e.type is EventType.STEP_RETRYING]
    assert [(e.data["attempt"], e.data["delay"]) for e in retrying] == [(2, 0.05), (3, 0.1)]
    assert "flaky failure 1" in retrying[0].data["error"]


def test_retries_exhausted(env: Env, tmp_path: Path) -> None:
    doc = graph([node("f", "test.flaky@1", times=5, marker_dir=str(tmp_path))])
    result = env.run(doc, retries=1, backoff=0.01)
    step = result.steps["f"]
    assert (step.status.value, step.attempts) == ("failed", 2)
    assert step.error == "RuntimeError: flaky failure 2"
    assert step.traceback and "flaky failure 2" in step.traceback


def test_step_errors_are_not_retried(env: Env) -> None:
    result = env.run(graph([node("f", "test.fail@1", user=True)]), retries=3, backoff=0.01)
    step = result.steps["f"]
    assert (step.status.value, step.attempts, step.error) == (
        "failed",
        1,
        "the value is not acceptable",
    )
    failed = next(e for e in env.events if e.type is EventType.STEP_FAILED)
    assert failed.data["param"] == "user" and failed.data["traceback"] is None


def test_timeout_kills_the_step(env: Env) -> None:
    result = env.run(
        graph([node("s", "test.sleep@1", seconds=30)]), timeout=0.5, retries=1, backoff=0.01
    )
    step = result.steps["s"]
    assert (step.status.value, step.attempts, step.error) == ("failed", 2, "timed out after 0.5s")


def test_a_nodes_own_timeout_and_retries_win_over_the_runs(env: Env, tmp_path: Path) -> None:
    doc = graph(
        [
            {**node("s", "test.sleep@1", seconds=30), "execution": {"timeout": 0.5, "retries": 0}},
            {**node("f", "test.flaky@1", times=1, marker_dir=str(tmp_path)), "execution": {}},
        ]
    )
    result = env.run(doc, timeout=60, retries=1, backoff=0.01)
    s, f = result.steps["s"], result.steps["f"]
    assert (s.status.value, s.attempts, s.error) == ("failed", 1, "timed out after 0.5s")
    assert (f.status.value, f.attempts) == ("succeeded", 2)  # the run's retries


def test_cancel_kills_the_step_and_what_it_spawned(env: Env, tmp_path: Path) -> None:
    env.runner.start()
    workers_before = set(env.runner.pids())
    children_before = children(os.getpid())
    pid_file = tmp_path / "pids"
    doc = graph(
        [node("s", "test.spawn@1", pid_file=str(pid_file)), node("t", "test.sleep@1", seconds=30)],
        [("s.out", "t.in")],
    )
    token = CancelToken()

    def cancel_when_spawned() -> None:
        while not pid_file.exists() or not pid_file.read_text():
            time.sleep(0.02)
        token.cancel()

    threading.Thread(target=cancel_when_spawned, daemon=True).start()
    result = env.run(doc, cancel=token)
    assert result.status == "canceled"
    assert env.statuses(result) == {"s": "canceled", "t": "canceled"}
    worker_pid, grandchild = map(int, pid_file.read_text().split())
    assert not _alive(worker_pid)  # reaped before kill() returned
    assert _gone_soon(grandchild)  # SIGKILL to the group: delivered asynchronously
    # the pool replaced the killed worker: same number of children, no stray processes
    assert worker_pid in workers_before
    assert len(children(os.getpid())) == len(children_before)
    assert set(env.runner.pids()) - workers_before
    again = env.run(graph([node("n", "test.noop@1")]))
    assert again.status == "succeeded"
    token.close()


def test_failure_marks_downstream_while_independent_branches_go_on(env: Env) -> None:
    doc = graph(
        [
            node("bad", "test.fail@1"),
            node("after", "test.noop@1"),
            node("later", "test.noop@1"),
            node("ok", "test.const@1", value=4),
            node("ok2", "test.add@1"),
        ],
        [("bad.out", "after.in"), ("after.out", "later.in"), ("ok.out", "ok2.in")],
    )
    result = env.run(doc)
    assert result.status == "failed"
    assert env.statuses(result) == {
        "bad": "failed",
        "after": "upstream_failed",
        "later": "upstream_failed",
        "ok": "succeeded",
        "ok2": "succeeded",
    }
    assert result.counts == {
        "ran": 2,
        "reused": 0,
        "failed": 1,
        "canceled": 0,
        "upstream_failed": 2,
    }
    blocked = [e.step for e in env.events if e.type is EventType.STEP_UPSTREAM_FAILED]
    assert blocked == ["after", "later"]


def test_a_param_change_reruns_exactly_that_node_and_downstream(env: Env) -> None:
    doc = graph(
        [
            node("a", "test.const@1", value=1),
            node("b", "test.add@1", amount="$amount"),
            node("c", "test.add@1", amount=10),
            node("d", "test.const@1", value=7),
        ],
        [("a.out", "b.in"), ("b.out", "c.in")],
        parameters={"amount": {"type": "int", "default": 1}},
    )
    first = env.run(doc)
    assert set(env.reasons(first).values()) == {"ran: no earlier result"}
    second = env.run(doc, {"amount": 2})
    reasons = env.reasons(second)
    assert (
        reasons["a"] == f"reused: key {first.steps['a'].fingerprint[:12]} from run {first.run_id}"
    )
    assert reasons["d"].startswith("reused: key ")
    assert reasons["b"] == "ran: param `amount` changed 1 → 2"
    assert reasons["c"] == "ran: input `in` from b changed"
    assert env.statuses(second) == {
        "a": "reused",
        "b": "succeeded",
        "c": "succeeded",
        "d": "reused",
    }
    third = env.run(doc, {"amount": 2})
    assert set(env.statuses(third).values()) == {"reused"}


def test_early_cutoff_identical_bytes_leave_downstream_reused(env: Env) -> None:
    # test.kitchen ignores its params: a changed param re-runs it, with identical output bytes
    doc1 = graph(
        [node("k", "test.kitchen@1", needed="x", count=3), node("n", "test.noop@1")],
        [("k.out", "n.in")],
    )
    doc2 = graph(
        [node("k", "test.kitchen@1", needed="x", count=4), node("n", "test.noop@1")],
        [("k.out", "n.in")],
    )
    first = env.run(doc1)
    second = env.run(doc2)
    assert env.reasons(second)["k"] == "ran: param `count` changed 3 → 4"
    assert env.statuses(second) == {"k": "succeeded", "n": "reused"}
    assert second.steps["k"].outputs["out"].digest == first.steps["k"].outputs["out"].digest


def test_external_data_always_runs_with_cutoff_downstream(env: Env, tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text("one")
    doc = graph(
        [node("x", "test.external@1", path=str(source)), node("n", "test.noop@1")],
        [("x.out", "n.in")],
    )
    env.run(doc)
    same = env.run(doc)
    assert env.reasons(same)["x"] == "ran: reads external data"
    assert env.statuses(same) == {"x": "succeeded", "n": "reused"}
    source.write_text("two")
    changed = env.run(doc)
    assert env.reasons(changed)["n"] == "ran: input `in` from x changed"


def test_bypassing_the_cache_runs_everything(env: Env) -> None:
    doc = graph([node("a", "test.const@1"), node("b", "test.add@1")], [("a.out", "b.in")])
    env.run(doc)
    result = env.run(doc, cache=NullCache())
    assert set(env.reasons(result).values()) == {"ran: cache bypassed"}
    assert set(env.statuses(result).values()) == {"succeeded"}


def test_run_only_runs_what_it_needs_upstream(env: Env) -> None:
    doc = graph(
        [node("a", "test.const@1", value=2), node("b", "test.add@1"), node("c", "test.add@1")],
        [("a.out", "b.in"), ("b.out", "c.in")],
    )
    first = env.run(doc, run_only="b")  # a never ran: it runs first
    assert env.statuses(first) == {"a": "succeeded", "b": "succeeded"}
    assert env.reasons(first) == {
        "a": "ran: no earlier result",
        "b": "ran: requested (run only `b`)",
    }
    only = env.run(doc, run_only="b")
    assert env.statuses(only) == {"a": "reused", "b": "succeeded"}
    assert env.reasons(only)["b"] == "ran: requested (run only `b`)"


def test_run_from_forces_node_and_downstream(env: Env) -> None:
    doc = graph(
        [
            node("a", "test.const@1"),
            node("b", "test.add@1"),
            node("c", "test.add@1"),
            node("z", "test.const@1", value=5),
        ],
        [("a.out", "b.in"), ("b.out", "c.in")],
    )
    env.run(doc)
    result = env.run(doc, run_from="b")
    assert env.statuses(result) == {"a": "reused", "b": "succeeded", "c": "succeeded"}
    assert env.reasons(result)["c"] == "ran: requested (run from `b`)"


def test_logs_and_progress_reach_emit(env: Env) -> None:
    result = env.run(graph([node("c", "test.chatty@1")]))
    assert result.status == "succeeded"
    logs = [
        (e.data["stream"], line)
        for e in env.events
        if e.type is EventType.STEP_LOG
        for line in e.data["lines"]
    ]
    assert ("log", "hello from ctx.log") in logs
    assert ("stdout", "hello from print") in logs
    assert ("stderr", "hello from stderr") in logs
    assert ("stdout", "hello from a subprocess") in logs
    progress = [
        (e.data["value"], e.data["max"]) for e in env.events if e.type is EventType.STEP_PROGRESS
    ]
    assert progress[0] == (1, 3) and progress[-1] == (3, 3)
    types = [e.type for e in env.events]
    assert types[0] is EventType.RUN_STARTED and types[-1] is EventType.RUN_FINISHED
    assert (
        types.index(EventType.STEP_STARTED)
        < types.index(EventType.STEP_LOG)
        < types.index(EventType.STEP_SUCCEEDED)
    )
    assert env.events[-1].data["counts"]["ran"] == 1


def test_a_crashing_worker_fails_the_step_and_is_replaced(env: Env) -> None:
    result = env.run(graph([node("x", "test.crash@1")]), retries=1, backoff=0.01)
    step = result.steps["x"]
    assert (step.status.value, step.attempts) == ("failed", 2)
    assert step.error == "the worker process died (exit code 3)"
    assert env.run(graph([node("n", "test.noop@1")])).status == "succeeded"


def test_a_step_that_exits_ends_its_worker_which_is_replaced(env: Env) -> None:
    # SystemExit is a process being told to stop (a Celery pool process gets SIGTERM as one):
    # never swallowed, so no worker runs on with a module half-imported when it came
    env.runner.start()
    before = set(env.runner.pids())
    result = env.run(graph([node("x", "test.exits@1")]))
    assert result.steps["x"].error.startswith("the worker process died")
    after = set(env.runner.pids())
    assert len(before - after) == 1 and len(after) == len(before)
    assert env.run(graph([node("n", "test.noop@1")])).status == "succeeded"


def test_output_of_the_wrong_type_fails_clearly(env: Env) -> None:
    result = env.run(graph([node("b", "test.bad_output@1")]), retries=2)
    step = result.steps["b"]
    assert (step.status.value, step.attempts) == ("failed", 1)
    assert step.error == "output `dataset` must be a pandas DataFrame, got list"


def test_dataframes_flow_with_summaries(env: Env) -> None:
    doc = graph(
        [node("f", "test.frame@1", rows=7), node("h", "test.head@1", n=3)],
        [("f.dataset", "h.dataset")],
    )
    result = env.run(doc)
    assert result.status == "succeeded", result.steps["h"].error
    out = result.steps["h"].outputs
    assert out["dataset"].kind == "parquet" and out["dataset"].summary["rows"] == 3
    assert out["metrics"].kind == "json" and out["metrics"].summary == {"values": {"rows": 7}}
    again = env.run(doc, cache=NullCache())
    assert again.steps["f"].outputs["dataset"].digest == result.steps["f"].outputs["dataset"].digest


def test_the_cache_keeps_each_steps_outputs_as_the_run_reported_them(env: Env) -> None:
    doc = graph(
        [node("f", "test.frame@1", rows=7), node("h", "test.head@1", n=3)],
        [("f.dataset", "h.dataset")],
    )
    result = env.run(doc)
    env.cache.close()
    index = FileCache(env.root)  # read back from the index the worker's encoding went into
    for key in ("f", "h"):
        entry = index.get(result.steps[key].fingerprint)
        assert entry is not None and entry.outputs == result.steps[key].outputs
    index.close()


def test_steps_run_in_their_own_workdir_with_a_clean_environment(env: Env) -> None:
    os.environ["DESIGNER_TEST_SECRET"] = "nope"
    try:
        with LocalRunner(1) as runner:
            env.runner = runner
            result = env.run(graph([node("w", "test.cwd@1")]))
    finally:
        del os.environ["DESIGNER_TEST_SECRET"]
    record = result.steps["w"].outputs["out"]
    value = env.store.get(record.digest)
    import json

    data = json.loads(value)
    assert data["cwd"] == data["workdir"]
    assert "DESIGNER_TEST_SECRET" not in data["env"] and "SECRET_KEY" not in data["env"]
    assert not Path(data["workdir"]).exists() or not any(Path(data["workdir"]).iterdir())


def test_a_worker_uses_the_blas_kernels_the_server_was_told_to(env: Env, monkeypatch) -> None:
    """OPENBLAS_CORETYPE (and the other numeric libraries' settings) reach the workers: a
    model scored in a worker and in the server (real-time scoring) computes with the same
    kernels, to the last bit. Sandybridge is no machine's own choice today."""
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Sandybridge")
    with LocalRunner(1) as runner:
        env.runner = runner
        result = env.run(graph([node("w", "test.cwd@1")]), cache=NullCache())
    import json

    data = json.loads(env.store.get(result.steps["w"].outputs["out"].digest))
    assert data["blas"] == ["Sandybridge"]


def test_datasets_are_written_and_read_from_a_step(env: Env) -> None:
    writer = {**node("d", "test.dataset_io@1"), "label": "Save things"}
    doc = graph([node("f", "test.frame@1", rows=4), writer], [("f.dataset", "d.dataset")])
    result = env.run(doc, run_id="7")
    assert result.status == "succeeded", result.steps["d"].error
    metrics = result.steps["d"].outputs["metrics"].summary["values"]
    assert metrics["version"] == metrics["wrote"]
    datasets = StoredDatasets(env.store, "test")
    assert datasets.read("things")[1] == metrics["version"]
    versions = datasets.versions("things")
    assert [v["written_by"] for v in versions] == [
        {"run": "7", "node": "d", "label": "Save things"}
    ]

    again = env.run(doc, run_id="8")  # reused from run 7: the step does not run, writes nothing
    assert again.steps["d"].status == "reused"
    assert datasets.versions("things") == versions


def test_a_corrupted_artifact_fails_clearly_and_is_produced_again(env: Env) -> None:
    doc = graph([node("a", "test.const@1", value=3), node("b", "test.add@1")], [("a.out", "b.in")])
    first = env.run(doc)
    env.store.path(first.steps["a"].outputs["out"].digest).write_bytes(b'{"value":4}')
    broken = env.run(doc, cache=NullCache(), retries=2)
    step = broken.steps["b"]
    assert (step.status.value, step.attempts) == ("failed", 1)
    assert step.error is not None and "is corrupted" in step.error
    healed = env.run(doc)
    assert env.reasons(healed)["a"] == "ran: earlier result is no longer in the store"
    assert env.statuses(healed) == {"a": "succeeded", "b": "reused"}


def test_workers_stop_and_clean_up_when_their_parent_dies(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import os\n"
        "from designer.engine.runners.local import LocalRunner\n"
        "r = LocalRunner(2)\n"
        "r.start()\n"
        "print(' '.join(str(w.pid) + ' ' + w.scratch for w in r._workers), flush=True)\n"
        "os._exit(0)\n"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    ).stdout.split()
    pids, scratches = [int(p) for p in out[0::2]], out[1::2]
    assert all(_gone_soon(pid, within=10) for pid in pids)
    deadline = time.monotonic() + 5
    while any(Path(s).exists() for s in scratches) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(s).exists() for s in scratches)


def test_closing_a_cancel_token_twice_leaves_reused_descriptors_alone() -> None:
    token = CancelToken()
    token.close()
    read, write = os.pipe()  # the OS hands out the numbers the token just released
    try:
        token.close()
        del token
        os.write(write, b"still open")
        assert os.read(read, 10) == b"still open"
    finally:
        os.close(read)
        os.close(write)
