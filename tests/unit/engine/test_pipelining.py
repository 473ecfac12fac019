"""Pipelined submissions: tasks wait in busy LocalRunner workers, with the run's semantics kept.

Decision 0037: while every worker is busy, the executor sends one more ready step to each
worker (two after a short step; more wait in the runner), which starts it the moment it finishes
its current one; the step stays `queued` until the runner reports that it "started". Failure,
timeout and cancel behave as without it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from designer.engine.cancel import CancelToken
from designer.engine.events import Event, EventType
from designer.engine.runners.base import RunnerMessage
from designer.engine.runners.local import LocalRunner
from designer.engine.runners.routing import RoutingRunner
from tests.support.graphs import graph, node
from tests.unit.engine.conftest import Env
from tests.unit.engine.test_speculation import assert_causal


class Recording:
    """A LocalRunner seen from the executor: what was submitted (and whether it started at
    once) and what came back, in order."""

    def __init__(self, inner: LocalRunner | RoutingRunner):
        self.inner = inner
        self.log: list[tuple[str, str]] = []  # (what, step key)

    @property
    def capacity(self) -> int:
        return self.inner.capacity

    @property
    def prefetch(self) -> int:
        return self.inner.prefetch

    def submit(self, task_id: str, task: Mapping[str, Any]) -> bool:
        started = self.inner.submit(task_id, task)
        self.log.append(("submit" if started else "sent ahead", task_id.split(":")[1]))
        return started

    def wait(self, timeout: float | None, wake_fds: Sequence[int] = ()) -> list[RunnerMessage]:
        messages = self.inner.wait(timeout, wake_fds)
        self.log.extend((m.kind, m.task_id.split(":")[1]) for m in messages if m.kind != "log")
        return messages

    def kill(self, task_id: str) -> None:
        self.log.append(("kill", task_id.split(":")[1]))
        self.inner.kill(task_id)

    def close(self) -> None:
        return None

    def index(self, what: str, step: str) -> int:
        return self.log.index((what, step))


def _run(env: Env, doc: dict[str, Any], **kw: Any) -> tuple[Recording, list[Event]]:
    recording = Recording(env.runner)
    env.runner, inner = recording, env.runner  # type: ignore[assignment]
    try:
        result = env.run(doc, **kw)
    finally:
        env.runner = inner
    assert_causal(env.plan(doc), env.events)
    recording.result = result  # type: ignore[attr-defined]
    return recording, env.events


def _types(events: list[Event], step: str) -> list[str]:
    return [e.type.value for e in events if e.step == step and e.type is not EventType.STEP_LOG]


def test_a_step_waits_in_a_busy_worker_and_starts_when_its_predecessor_there_returns(
    env: Env,
) -> None:
    sleeps = [node(f"s{i}", "test.sleep@1", seconds=0.3) for i in range(4)]
    recording, events = _run(env, graph(sleeps))
    assert recording.result.status == "succeeded"  # type: ignore[attr-defined]
    ahead = [step for what, step in recording.log if what == "sent ahead"]
    assert ahead == ["s2", "s3"]  # two workers busy with s0, s1: one more each
    for step in ahead:
        # sent before any step had finished: no round trip through the executor before it
        first_done = min(recording.index("done", s) for s in ("s0", "s1"))
        assert recording.index("sent ahead", step) < first_done
        assert recording.index("started", step) < recording.index("done", step)
        assert _types(events, step) == ["step.queued", "step.started", "step.output",
                                        "step.succeeded"]  # fmt: skip
    for step in ("s0", "s1"):
        assert _types(events, step)[0] == "step.started"


def test_steps_beyond_one_per_busy_worker_wait_in_the_runner_and_go_to_the_first_one_free(
    env: Env,
) -> None:
    # each worker's last step was a long one (after a short one a worker takes two in line)
    env.run(graph([node(f"w{i}", "test.sleep@1", seconds=0.05) for i in range(2)]))
    sleeps = [node(f"s{i}", "test.sleep@1", seconds=0.3) for i in range(6)]
    recording, events = _run(env, graph(sleeps))
    assert recording.result.status == "succeeded"  # type: ignore[attr-defined]
    ahead = [step for what, step in recording.log if what == "sent ahead"]
    assert ahead == ["s2", "s3", "s4", "s5"]  # all launched while s0 and s1 ran
    # a worker busy with a long step has one step in line: s4 and s5 waited in the runner and
    # went to a worker's line once it took the step in it, so each started after s2's or s3's end
    first_done = min(recording.index("done", s) for s in ("s2", "s3"))
    assert min(recording.index("started", s) for s in ("s4", "s5")) > first_done
    for step in ahead:
        assert _types(events, step) == ["step.queued", "step.started", "step.output",
                                        "step.succeeded"]  # fmt: skip


def test_the_server_and_cli_runner_sends_local_steps_ahead_too(env: Env) -> None:
    def no_containers() -> Any:
        raise AssertionError("no step here needs a container")

    inner = env.runner
    env.runner = RoutingRunner(inner, no_containers)  # type: ignore[assignment]
    try:
        recording, _ = _run(
            env, graph([node(f"s{i}", "test.sleep@1", seconds=0.2) for i in range(3)])
        )
    finally:
        env.runner = inner
    assert recording.result.status == "succeeded"  # type: ignore[attr-defined]
    assert [step for what, step in recording.log if what == "sent ahead"] == ["s2"]


def test_a_failure_while_the_next_steps_wait_in_the_workers_fails_only_its_branch(
    env: Env,
) -> None:
    doc = graph(
        [
            node("bad", "test.fail@1"),
            node("slow", "test.sleep@1", seconds=0.3),
            node("w1", "test.sleep@1", seconds=0.05),
            node("w2", "test.sleep@1", seconds=0.05),
            node("after", "test.noop@1"),
        ],
        [("bad.out", "after.in")],
    )
    recording, events = _run(env, doc)
    result = recording.result  # type: ignore[attr-defined]
    assert result.status == "failed"
    assert env.statuses(result) == {
        "bad": "failed",
        "slow": "succeeded",
        "w1": "succeeded",
        "w2": "succeeded",
        "after": "upstream_failed",
    }
    # w1 and w2 were already in the workers when bad failed; they ran as if nothing happened
    assert recording.index("sent ahead", "w1") < recording.index("done", "bad")
    assert recording.index("sent ahead", "w2") < recording.index("done", "bad")
    for step in ("w1", "w2"):
        assert _types(events, step)[:2] == ["step.queued", "step.started"]
    failed = next(i for i, e in enumerate(events) if e.type is EventType.STEP_FAILED)
    blocked = next(i for i, e in enumerate(events) if e.type is EventType.STEP_UPSTREAM_FAILED)
    assert events[failed].step == "bad" and events[blocked].step == "after"


def test_a_step_waiting_behind_a_timed_out_one_runs_on_the_replacement_worker(
    env: Env,
) -> None:
    slow = {**node("stuck", "test.sleep@1", seconds=30), "execution": {"timeout": 1.0}}
    doc = graph(
        [
            slow,
            node("other", "test.sleep@1", seconds=0.2),
            node("behind", "test.sleep@1", seconds=0.05),
            node("last", "test.sleep@1", seconds=0.05),
        ]
    )
    recording, events = _run(env, doc)
    result = recording.result  # type: ignore[attr-defined]
    assert env.statuses(result) == {
        "stuck": "failed",
        "other": "succeeded",
        "behind": "succeeded",
        "last": "succeeded",
    }
    assert result.steps["stuck"].error == "timed out after 1s"
    assert recording.index("sent ahead", "behind") < recording.index("kill", "stuck")
    assert _types(events, "behind")[:2] == ["step.queued", "step.started"]
    assert result.steps["behind"].attempts == 1  # it never started before: not a retry


def test_cancel_while_steps_wait_in_the_workers_starts_none_of_them(env: Env) -> None:
    env.runner.start()
    doc = graph([node(f"s{i}", "test.sleep@1", seconds=30) for i in range(6)])
    token = CancelToken()
    seen: list[Event] = []

    def cancel_when_all_are_placed() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            kinds = [e.type for e in list(seen)]
            if kinds.count(EventType.STEP_STARTED) == 2 and kinds.count(EventType.STEP_QUEUED):
                break
            time.sleep(0.02)
        token.cancel()

    recording = Recording(env.runner)
    threading.Thread(target=cancel_when_all_are_placed, daemon=True).start()
    inner, env.runner = env.runner, recording  # type: ignore[assignment]
    try:
        from designer.engine.execute import execute

        result = execute(
            env.plan(doc),
            runner=recording,
            store=env.store,
            cache=env.cache,
            emit=seen.append,
            cancel=token,
        )
    finally:
        env.runner = inner
    token.close()
    assert result.status == "canceled"
    assert {s.status.value for s in result.steps.values()} == {"canceled"}
    started = {e.step for e in seen if e.type is EventType.STEP_STARTED}
    assert started == {"s0", "s1"}  # the others waited in the workers (or the runner): none ran
    assert not [what for what, _ in recording.log if what == "started"]
    again = env.run(graph([node("n", "test.noop@1")]))
    assert again.status == "succeeded"
