"""An all-reused run's log built in one pass is the generic translation, checked (decision 0042).

`runs/reused.py` builds the fast path's steps, record entries and messages without
`translate.apply_events` and without checking each message against the protocol. These tests
hold it to that path: for the real engine's events of an all-reused rerun (and for harder
summaries) the built messages are the protocol's models of the translated messages, byte for
byte once encoded, and every one of them passes the protocol; anything the one pass does not
cover, or a value the protocol refuses, is left to the generic, checked path.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic_core import to_json

from designer.engine.cache import FileCache
from designer.engine.events import Event, EventType
from designer.engine.execute import execute
from designer.engine.plan import Plan
from designer.engine.runners.local import LocalRunner
from designer.engine.store import ArtifactStore
from designer.graphs.analysis import plan_for_run
from designer.realtime.protocol import (
    RUN_LEVEL_EVENTS,
    ProtocolError,
    StepOutputData,
    event_model,
)
from designer.runs import eventlog, records, reused, translate
from designer.runs.fastpath import NoWorkerRunner
from designer.runs.models import Run, RunStatus, StepRun
from tests.integration.api.test_runs import chain_document

RUN_FIELDS = ("status", "error", "started_at", "finished_at")


@pytest.fixture(scope="module")
def rerun(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Plan, list[Event]]]:
    """A 4-step chain run once, then its events when decided again with no worker."""
    root: Path = tmp_path_factory.mktemp("reused")
    plan = plan_for_run(chain_document(4), {})
    store, cache = ArtifactStore(root / "artifacts"), FileCache(root)
    with LocalRunner(1) as runner:
        first = execute(plan, runner=runner, cache=cache, store=store, scope="t", datasets="t")
    assert first.status == "succeeded"
    events: list[Event] = []
    again = execute(
        plan,
        runner=NoWorkerRunner(),
        cache=cache,
        store=store,
        emit=events.append,
        run_id="2",
        scope="t",
        datasets="t",
    )
    assert again.counts["reused"] == len(plan.steps)
    yield plan, events
    cache.close()


def checked_translation(plan: Plan, events: list[Event]) -> tuple[Run, list[StepRun], list[Any]]:
    """What the generic path saves: the run, its steps, its log as the protocol's models."""
    run = Run(pk=2, workspace_id=1)
    steps = {step.key: records.new_step(run, step.key, step.module) for step in plan.steps}
    messages = [("run.status", {"status": RunStatus.QUEUED})]
    messages += translate.apply_events(run, events, steps=steps)
    return run, list(steps.values()), [[kind, event_model(kind, data)] for kind, data in messages]


def assert_built_as_checked(plan: Plan, events: list[Event]) -> reused.ReusedRun:
    """The one pass gives exactly what the generic translation and the protocol check give."""
    run, steps, checked = checked_translation(plan, events)
    built = reused.build(Run(pk=2, workspace_id=1), plan, events)
    assert built is not None
    for (kind, data), (_, model) in zip(built.messages, checked, strict=True):
        # each message passes the protocol and is stored as its checked model is
        assert to_json(data, inf_nan_mode="null") == to_json(event_model(kind, data))
        assert to_json(data, inf_nan_mode="null") == to_json(model)
        if kind in RUN_LEVEL_EVENTS:  # published as they are
            assert data == model.model_dump(mode="json")
    assert [kind for kind, _ in built.messages] == [kind for kind, _ in checked]
    # the same stored text: key order, numbers, NaN as null
    assert eventlog.encode_built(built.messages) == to_json(checked)
    assert to_json(built.entries) == to_json(records.step_entries(steps))
    columns = [field.attname for field in StepRun._meta.concrete_fields]
    assert [[getattr(s, c) for c in columns] for s in built.steps] == [
        [getattr(s, c) for c in columns] for s in steps
    ]
    assert (RunStatus.SUCCEEDED, "", built.started_at, built.finished_at) == tuple(
        getattr(run, name) for name in RUN_FIELDS
    )
    return built


def test_the_engines_all_reused_events_build_the_checked_log(
    rerun: tuple[Plan, list[Event]],
) -> None:
    plan, events = rerun
    built = assert_built_as_checked(plan, events)
    assert [kind for kind, _ in built.messages] == [
        "run.status",
        "run.status",
        *["step.output", "step.status"] * 4,
        "run.status",
        "run.finished",
    ]


def with_outputs(events: list[Event], outputs: dict[str, dict[str, Any]]) -> list[Event]:
    """The events with the first step's single output replaced by `outputs` (port → record)."""
    first = next(e for e in events if e.type is EventType.STEP_OUTPUT)
    changed = []
    for event in events:
        if event is first:
            changed += [
                dataclasses.replace(event, data={"port": port, **record})
                for port, record in outputs.items()
            ]
        else:
            changed.append(event)
    return changed


def test_summaries_with_non_finite_numbers_and_several_ports_build_the_checked_log(
    rerun: tuple[Plan, list[Event]],
) -> None:
    plan, events = rerun
    summary = {"mean": float("nan"), "range": [float("-inf"), 1.5], "name": "é ✓", "rows": 0}
    record = {"digest": "d" * 64, "kind": "Metrics", "size": 0, "summary": summary}
    outputs = {"dataset": record, "extra": {**record, "summary": {}, "kind": "Model"}}
    assert_built_as_checked(plan, with_outputs(events, outputs))


@pytest.mark.parametrize(
    "record",
    [
        {"digest": "d", "kind": "DataFrame", "size": -1, "summary": {}},
        {"digest": "d", "kind": "DataFrame", "size": "12", "summary": {}},
        {"digest": "d", "kind": None, "size": 1, "summary": {}},
        {"digest": "d", "kind": "DataFrame", "size": 1, "summary": {1: "one"}},
    ],
)
def test_an_output_the_protocol_refuses_is_left_to_the_checked_path(
    rerun: tuple[Plan, list[Event]], record: dict[str, Any]
) -> None:
    plan, events = rerun
    changed = with_outputs(events, {"dataset": record})
    assert reused.build(Run(pk=2, workspace_id=1), plan, changed) is None
    if record["size"] != "12":  # which translate makes an int
        with pytest.raises(ProtocolError):
            checked_translation(plan, changed)


def test_events_the_one_pass_does_not_cover_are_left_to_the_generic_path(
    rerun: tuple[Plan, list[Event]],
) -> None:
    plan, events = rerun
    run = Run(pk=2, workspace_id=1)
    step = plan.steps[1].key
    warning = Event(EventType.STEP_LOG, step, {"stream": "stderr", "lines": ["w"], "attempt": 0})
    failed = copy.deepcopy(events)
    failed[-1] = dataclasses.replace(events[-1], data={**events[-1].data, "status": "failed"})
    unreused = [e for e in events if not (e.type is EventType.STEP_REUSED and e.step == step)]
    for changed in (
        [*events[:3], warning, *events[3:]],  # a cache warning's log lines
        failed,
        unreused,  # a step never decided
        events[:-1],  # never finished
        [*events, events[1]],  # an event after the end
    ):
        assert reused.build(run, plan, changed) is None
    assert run.status == RunStatus.QUEUED and run.started_at is None  # nothing was changed


def test_the_output_rules_the_one_pass_checks_are_all_the_protocols() -> None:
    """`reused._output` checks the cache index's values against what StepOutputData requires;
    a rule added to the protocol must be added there too, and this fails until it is."""
    schema = StepOutputData.model_json_schema()
    rules = {
        name: {key: value for key, value in rule.items() if key not in ("title", "description")}
        for name, rule in schema["properties"].items()
    }
    assert rules == {
        "digest": {"type": "string"},
        "kind": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
        "summary": {"type": "object", "additionalProperties": True},
        "step": {"type": "string"},
        "port": {"type": "string"},
    }
    validators = StepOutputData.__pydantic_decorators__
    assert not validators.field_validators and not validators.model_validators
