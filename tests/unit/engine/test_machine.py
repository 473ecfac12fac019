"""The run state machine on its own: a clock the test moves, a launcher that records requests.

Retries, backoff, timeouts, a remote queue's claims and a machine rebuilt from saved state are
decided by the same object every executor drives; here no process runs and no time passes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from designer.engine.artifacts import OutputRecord
from designer.engine.cache import MemoryCache
from designer.engine.compile import compile_document
from designer.engine.events import Event, EventType
from designer.engine.machine import KnownStep, Policy, RunMachine, Task
from designer.engine.plan import Plan
from designer.engine.registry import Registry
from designer.engine.store import ArtifactStore
from tests.support.graphs import graph, node


class Clock:
    """A clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """A Launcher that records what the machine asked for."""

    def __init__(self) -> None:
        self.launched: list[Task] = []
        self.asked: list[Task] = []  # speculative tasks it was asked to place (and refused)
        self.killed: list[str] = []
        self.wakes: list[float] = []

    def launch(self, task: Task) -> None:
        self.launched.append(task)

    def place(self, task: Task) -> bool:
        self.asked.append(task)
        return False

    def kill(self, task_id: str) -> None:
        self.killed.append(task_id)

    def wake(self, at: float) -> None:
        self.wakes.append(at)


class Harness:
    """A machine over a plan, with its clock, launcher and events."""

    def __init__(self, plan: Plan, store: ArtifactStore, **kw: Any):
        self.clock = Clock()
        self.launcher = Recorder()
        self.events: list[Event] = []
        self.cache = kw.pop("cache", MemoryCache())
        self.machine = RunMachine(
            plan,
            cache=self.cache,
            store=store,
            launcher=self.launcher,
            emit=self.events.append,
            run_id="r1",
            clock=self.clock,
            **kw,
        )

    def of(self, key: str, *types: EventType) -> list[Event]:
        return [e for e in self.events if e.step == key and (not types or e.type in types)]


def output(store: ArtifactStore, value: bytes) -> dict[str, Any]:
    digest = store.put(value)
    return {"out": OutputRecord(digest, "json", len(value), {}).to_dict()}


def succeeded(store: ArtifactStore, value: bytes = b'{"value": 1}') -> dict[str, Any]:
    return {"status": "succeeded", "outputs": output(store, value), "started_at": 1.0,
            "finished_at": 2.0}  # fmt: skip


FAILED = {"status": "failed", "error": "RuntimeError: boom", "retryable": True}


@pytest.fixture
def chain(reg: Registry) -> Plan:
    return compile_document(
        graph([node("a", "test.const@1"), node("b", "test.add@1")], [("a.out", "b.in")]), reg
    )


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path)


def test_a_failed_attempt_is_retried_after_a_doubling_backoff(chain: Plan, store) -> None:
    h = Harness(chain, store, capacity=2, policy=Policy(retries=2, backoff=0.5))
    h.machine.begin()
    assert [(t.key, t.attempt) for t in h.launcher.launched] == [("a", 1)]
    h.machine.message("r1:a:1", "done", FAILED)
    assert h.machine.statuses["a"] == "retrying" and h.launcher.wakes == [1000.5]
    h.clock.now = 1000.4
    h.machine.poll()
    assert len(h.launcher.launched) == 1  # not due yet
    h.clock.now = 1000.5
    h.machine.poll()
    assert [(t.key, t.attempt) for t in h.launcher.launched][-1] == ("a", 2)
    h.machine.message("r1:a:2", "done", FAILED)
    assert h.launcher.wakes[-1] == 1000.5 + 1.0  # twice as long
    h.clock.now += 1.0
    h.machine.poll()
    h.machine.message("r1:a:3", "done", FAILED)
    assert h.machine.statuses["a"] == "failed" and h.machine.statuses["b"] == "upstream_failed"
    retrying = h.of("a", EventType.STEP_RETRYING)
    assert [(e.data["attempt"], e.data["delay"]) for e in retrying] == [(2, 0.5), (3, 1.0)]
    assert h.machine.settled and h.machine.finish().status == "failed"


def test_user_mistakes_are_not_retried(chain: Plan, store) -> None:
    h = Harness(chain, store, capacity=1, policy=Policy(retries=3))
    h.machine.begin()
    h.machine.message("r1:a:1", "done", {**FAILED, "retryable": False, "param": "value"})
    failed = h.of("a", EventType.STEP_FAILED)
    assert [(e.data["attempt"], e.data["param"]) for e in failed] == [(1, "value")]


def test_an_attempt_past_its_timeout_is_killed_and_retried(chain: Plan, store) -> None:
    h = Harness(chain, store, capacity=1, policy=Policy(retries=1, backoff=0, timeout=30))
    h.machine.begin()
    assert h.launcher.wakes == [1030.0] and h.machine.next_wake() == 1030.0
    h.clock.now = 1029.9
    h.machine.poll()
    assert h.launcher.killed == []
    h.clock.now = 1030.0
    h.machine.poll()
    assert h.launcher.killed == ["r1:a:1"]
    assert h.of("a", EventType.STEP_RETRYING)[0].data["error"] == "timed out after 30s"
    assert [t.attempt for t in h.launcher.launched] == [1, 2]  # no backoff: at once
    h.machine.message("r1:a:1", "done", succeeded(store))  # a late result of the killed one
    assert h.machine.statuses["a"] == "running"


def test_a_steps_own_timeout_and_retries_win(reg: Registry, store) -> None:
    doc = graph([{**node("a", "test.const@1"), "execution": {"timeout": 5, "retries": 0}}])
    plan = compile_document(doc, reg)
    assert (plan.step("a").timeout, plan.step("a").retries) == (5.0, 0)
    h = Harness(plan, store, capacity=1, policy=Policy(retries=4, timeout=100))
    h.machine.begin()
    h.clock.now += 5
    h.machine.poll()
    assert h.machine.statuses["a"] == "failed"  # no retry: the node says 0


def test_a_remote_queue_starts_a_step_when_a_worker_claims_it(chain: Plan, store) -> None:
    h = Harness(chain, store, capacity=None, policy=Policy(timeout=60))
    h.machine.begin()
    queued = h.of("a")
    assert [(e.type, e.data.get("attempt")) for e in queued] == [(EventType.STEP_QUEUED, 1)]
    assert h.launcher.wakes == []  # no deadline before it starts
    assert h.machine.started("r1:a:1") and not h.machine.started("r1:a:1")
    assert not h.machine.started("r1:a:7")  # not an attempt it launched
    assert h.of("a")[-1].type is EventType.STEP_STARTED and h.launcher.wakes == [1060.0]


def test_a_machine_rebuilt_from_saved_state_goes_on_where_it_was(chain: Plan, store) -> None:
    first = Harness(chain, store, capacity=None, policy=Policy(retries=1, timeout=60))
    first.machine.begin()
    first.machine.started("r1:a:1")
    first.machine.message("r1:a:1", "done", succeeded(store))
    assert first.machine.statuses["b"] == "queued"
    a = first.machine.results["a"]
    saved = {
        "a": KnownStep("succeeded", 1, a.outputs, a.reason, a.fingerprint),
        "b": KnownStep("running", 1, reason="ran: no earlier result", started=1000.0),
    }
    again = Harness(
        chain, store, capacity=None, policy=Policy(retries=1, timeout=60), known=saved,
        cache=first.cache,
    )  # fmt: skip
    again.clock.now = 1060.0
    again.machine.poll()  # b's deadline passed while nobody held the run in memory
    assert again.launcher.killed == ["r1:b:1"]
    assert [(t.key, t.attempt) for t in again.launcher.launched] == []  # backoff first
    retry = KnownStep("retrying", 1, reason="ran: no earlier result", retry_at=1060.5)
    later = Harness(
        chain, store, capacity=None, policy=Policy(retries=1), known={**saved, "b": retry},
        cache=first.cache,
    )  # fmt: skip
    later.clock.now = 1060.5
    later.machine.poll()
    assert [(t.key, t.attempt, t.inputs) for t in later.launcher.launched] == [
        ("b", 2, {"in": {"digest": a.outputs["out"].digest, "kind": "json"}})
    ]
    later.machine.started("r1:b:2")
    later.machine.message("r1:b:2", "done", succeeded(store, b'{"value": 2}'))
    assert later.machine.settled and later.machine.finish().status == "succeeded"
    assert later.cache.get(later.machine.results["b"].fingerprint) is not None  # recorded


def test_cancel_ends_every_unfinished_step(chain: Plan, store) -> None:
    h = Harness(chain, store, capacity=1, policy=Policy())
    h.machine.begin()
    h.machine.cancel()
    assert h.launcher.killed == ["r1:a:1"]
    assert dict(h.machine.statuses) == {"a": "canceled", "b": "canceled"}
    assert h.machine.finish().status == "canceled"


def test_a_fan_out_asks_the_launcher_once_for_middles_it_cannot_place(reg: Registry, store) -> None:
    middles = [f"m{i}" for i in range(50)]
    fan = compile_document(
        graph(
            [node("a", "test.const@1"), *(node(m, "test.add@1") for m in middles)],
            [("a.out", f"{m}.in") for m in middles],
        ),
        reg,
    )
    h = Harness(fan, store, capacity=2, speculate=True)
    h.machine.begin()
    h.launcher.asked.clear()  # (one middle was offered to wait behind a)
    held = {"out": {"pending": "r1:a:1/out", "kind": "json"}}
    h.machine.message("r1:a:1", "computed", {"outputs": held})
    # the worker holding a's output cannot take one middle: it can take none of the others
    assert len(h.launcher.asked) == 1
    assert all(h.machine.statuses[m] == "pending" for m in middles)
    h.machine.message("r1:a:1", "done", succeeded(store))
    assert sorted(t.key for t in h.launcher.launched) == ["a", "m0", "m1"]


def test_a_join_is_decided_once_its_last_input_is_done_in_any_order(reg: Registry, store) -> None:
    doc = graph(
        [node("a", "test.const@1"), node("b", "test.const@1", value=2), node("j", "test.join@1")],
        [("a.out", "j.a"), ("b.out", "j.b")],
    )
    plan = compile_document(doc, reg)
    h = Harness(plan, store, capacity=2)
    h.machine.begin()
    h.machine.message("r1:b:1", "done", succeeded(store, b'{"value": 2}'))
    assert h.machine.statuses["j"] == "pending"  # a is still running
    h.machine.message("r1:a:1", "done", succeeded(store))
    assert [t.key for t in h.launcher.launched] == ["a", "b", "j"]
    # a machine rebuilt with b done and a running (a coordinator's next transition) agrees
    b = h.machine.results["b"]
    saved = {
        "b": KnownStep("succeeded", 1, b.outputs, b.reason, b.fingerprint),
        "a": KnownStep("running", 1, reason="ran: no earlier result", started=1000.0),
    }
    again = Harness(plan, store, capacity=None, known=saved)
    again.machine.message("r1:a:1", "done", succeeded(store, b'{"value": 3}'))
    assert [(t.key, sorted(t.inputs)) for t in again.launcher.launched] == [("j", ["a", "b"])]


def test_a_task_marks_the_inputs_it_reads_from_steps_the_run_reused(reg: Registry, store) -> None:
    """A worker keeps a table read from a reused step for the next rerun (decision 0106): the
    task says which inputs those are; an input from a step that ran in this run is not one."""

    def plan(value: int) -> Plan:
        nodes = [node("a", "test.const@1"), node("b", "test.const@1", value=value)]
        joined = graph([*nodes, node("j", "test.join@1")], [("a.out", "j.a"), ("b.out", "j.b")])
        return compile_document(joined, reg)

    first = Harness(plan(2), store, capacity=2)
    first.machine.begin()
    first.machine.message("r1:a:1", "done", succeeded(store))
    first.machine.message("r1:b:1", "done", succeeded(store, b'{"value": 2}'))
    first.machine.message("r1:j:1", "done", succeeded(store, b'{"value": 3}'))
    assert not any("reused" in ref for t in first.launcher.launched for ref in t.inputs.values())
    changed = Harness(plan(5), store, capacity=2, cache=first.cache)  # b changed: a is reused
    changed.machine.begin()
    assert changed.machine.statuses["a"] == "reused"
    changed.machine.message("r1:b:1", "done", succeeded(store, b'{"value": 5}'))
    a, b = changed.machine.results["a"], changed.machine.results["b"]
    assert [(t.key, t.inputs) for t in changed.launcher.launched] == [
        ("b", {}),
        (
            "j",
            {
                "a": {"digest": a.outputs["out"].digest, "kind": "json", "reused": True},
                "b": {"digest": b.outputs["out"].digest, "kind": "json"},
            },
        ),
    ]
