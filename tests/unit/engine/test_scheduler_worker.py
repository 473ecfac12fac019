"""The pure scheduling functions, and run_step called in-process (as a Celery task would)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from designer.engine.compile import compile_document
from designer.engine.context import StepError
from designer.engine.registry import Registry
from designer.engine.scheduler import StepStatus, ready_steps, run_status
from designer.engine.store import ArtifactStore
from designer.engine.worker import MAX_ERROR_CHARS, failure, make_task, run_step
from tests.support.graphs import graph, node

DIAMOND = graph(
    [
        node("a", "test.const@1"),
        node("b", "test.add@1"),
        node("c", "test.add@1"),
        node("d", "test.join@1"),
        node("e", "test.noop@1"),
    ],
    [("a.out", "b.in"), ("a.out", "c.in"), ("b.out", "d.a"), ("c.out", "d.b")],
)


def test_ready_steps_is_a_pure_function_of_statuses(reg: Registry) -> None:
    plan = compile_document(DIAMOND, reg)
    assert ready_steps(plan, {}) == ["a", "e"]
    assert ready_steps(plan, {"a": "running"}) == ["e"]
    assert ready_steps(plan, {"a": StepStatus.REUSED, "e": "succeeded"}) == ["b", "c"]
    state = {"a": "succeeded", "b": "succeeded", "e": "running"}
    assert ready_steps(plan, state) == ["c"]
    assert ready_steps(plan, {**state, "c": "reused"}) == ["d"]
    assert ready_steps(plan, {**state, "c": "failed"}) == []


def test_run_status_of_final_steps() -> None:
    assert run_status(["succeeded", "reused"]) == "succeeded"
    assert run_status(["succeeded", "failed", "upstream_failed"]) == "failed"
    assert run_status(["reused", "canceled", "failed"]) == "canceled"


def test_run_step_in_process(tmp_path: Path, reg: Registry) -> None:
    plan = compile_document(
        graph(
            [node("a", "test.const@1", value=5), node("b", "test.add@1", amount=2)],
            [("a.out", "b.in")],
        ),
        reg,
    )
    store = ArtifactStore(tmp_path)
    reports: list[tuple[str, dict]] = []
    first = run_step(
        make_task(plan.step("a"), {}, run_id="r", attempt=1, store=tmp_path),
        lambda k, d: reports.append((k, d)),
    )
    assert first["status"] == "succeeded"
    out = first["outputs"]["out"]
    assert json.loads(store.get(out["digest"])) == {"value": 5}
    task = make_task(
        plan.step("b"),
        {"in": {"digest": out["digest"], "kind": out["kind"]}},
        run_id="r",
        attempt=1,
        store=tmp_path,
    )
    second = run_step(json.loads(json.dumps(task)), lambda k, d: reports.append((k, d)))
    assert json.loads(store.get(second["outputs"]["out"]["digest"])) == {"value": 7}
    assert ("log", {"stream": "log", "lines": ["b: 7"]}) in reports
    json.dumps(second)  # plain data all the way


def test_a_task_queued_before_the_task_form_still_runs(tmp_path: Path, reg: Registry) -> None:
    plan = compile_document(graph([node("a", "test.const@1", value=5)]), reg)
    task = make_task(plan.step("a").to_dict(), {}, run_id="r", attempt=1, store=tmp_path)
    result = run_step(json.loads(json.dumps(task)))  # as a Celery message from an older server
    assert result["status"] == "succeeded", result
    assert json.loads(ArtifactStore(tmp_path).get(result["outputs"]["out"]["digest"])) == {
        "value": 5
    }


def test_run_step_reports_failures_as_data(tmp_path: Path, reg: Registry) -> None:
    plan = compile_document(
        graph([node("f", "test.fail@1"), node("u", "test.fail@1", user=True)]), reg
    )
    crash = run_step(make_task(plan.step("f"), {}, run_id="r", attempt=1, store=tmp_path))
    assert (crash["status"], crash["error"], crash["retryable"]) == (
        "failed",
        "RuntimeError: boom",
        True,
    )
    assert "Traceback" in crash["traceback"]
    user = run_step(make_task(plan.step("u"), {}, run_id="r", attempt=1, store=tmp_path))
    assert (user["error"], user["param"], user["retryable"], user["traceback"]) == (
        "the value is not acceptable",
        "user",
        False,
        None,
    )


def test_a_long_error_and_traceback_keep_their_start_and_end() -> None:
    """A message of a million characters (a script's, a KeyError listing every column) is cut
    to MAX_ERROR_CHARS, keeping where it starts and where its traceback ends."""
    message = "first line\n" + "x" * 1_000_000 + "\nlast line"
    user = failure(StepError(message), 0.0, retryable=False)
    half = MAX_ERROR_CHARS // 2
    cut = len(message) - 2 * half
    assert user["error"] == f"{message[:half]}\n… {cut:,} characters cut …\n{message[-half:]}"
    assert user["error"].startswith("first line\n") and user["error"].endswith("\nlast line")
    try:
        raise RuntimeError(message)
    except RuntimeError as exc:
        crash = failure(exc, 0.0, retryable=True)
    assert len(crash["error"]) < MAX_ERROR_CHARS + 50 and "characters cut" in crash["error"]
    assert len(crash["traceback"]) < MAX_ERROR_CHARS + 50
    assert crash["traceback"].startswith("Traceback") and crash["traceback"].endswith("last line\n")
    short = failure(StepError("x" * MAX_ERROR_CHARS), 0.0, retryable=False)
    assert short["error"] == "x" * MAX_ERROR_CHARS


def test_a_changed_implementation_digest_reloads_the_module(
    tmp_path: Path, reg: Registry, monkeypatch
) -> None:
    from designer.engine import worker

    package = tmp_path / "pkg_reload_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "impl.py").write_text("def run(ctx):\n    return {'out': 1}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert worker.load("pkg_reload_probe.impl:run", "v1")(None) == {"out": 1}
    (package / "impl.py").write_text("def run(ctx):\n    return {'out': 22}  # other size\n")
    assert worker.load("pkg_reload_probe.impl:run", "v1")(None) == {"out": 1}  # same digest: cached
    assert worker.load("pkg_reload_probe.impl:run", "v2")(None) == {"out": 22}


def test_a_workers_scratch_directory_is_emptied_whatever_appears_in_it_between_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked with one stat while nothing changed; a file left by anyone (a step's lingering
    child process) is still removed before the next step starts."""
    from designer.engine import worker

    scans: list[Path] = []
    scan = worker._empty

    def counted(folder: Path) -> bool:
        scans.append(folder)
        return scan(folder)

    monkeypatch.setattr(worker, "_empty", counted)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    os.utime(scratch, ns=(time.time_ns() - 10**9, time.time_ns() - 10**9))  # settled
    worker._clear_scratch(scratch)  # found empty: remembered
    worker._clear_scratch(scratch)
    worker._clear_scratch(scratch)
    assert len(scans) == 1
    (scratch / "stray.txt").write_text("left behind")
    worker._clear_scratch(scratch)
    assert list(scratch.iterdir()) == [] and len(scans) == 2
    (scratch / "sub").mkdir()
    (scratch / "sub" / "f").write_text("x")
    worker._clear_scratch(scratch)  # the scan that removed them does not vouch for the next
    worker._clear_scratch(scratch)
    assert list(scratch.iterdir()) == [] and len(scans) == 4
