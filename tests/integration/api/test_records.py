"""A step of a run stored inline is the StepRun Django would build from the same fields."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models.signals import post_init, pre_init

from designer.runs import records
from designer.runs.models import Run, StepRun


def test_a_recorded_step_is_the_step_django_would_build() -> None:
    run = Run(pk=7)
    fields = {
        "status": "reused",
        "fingerprint": "f" * 64,
        "reused_from": "12",
        "finished_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "outputs": {"dataset": {"digest": "d" * 64}},
    }
    built = records.new_step(run, "s1", "transform.select_columns@1", **fields)
    django = StepRun(run_id=7, key="s1", module="transform.select_columns@1", **fields)
    for field in StepRun._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(django, field.attname), field.name
    assert built.run_id == 7 and built.pk is None
    assert built._state.adding and built._state.db is None
    other = records.new_step(run, "s2", "transform.select_columns@1")
    assert other.outputs == {} and other.history == []
    assert other.outputs is not records.new_step(run, "s3", "m@1").outputs  # never shared

    template = records.step_template(run, status="reused", reused_from="12")
    shared = {
        name: value for name, value in fields.items() if name not in ("status", "reused_from")
    }
    templated = records.templated_step(
        template, key="s1", module="transform.select_columns@1", **shared
    )
    assert templated.__dict__.keys() == built.__dict__.keys()
    for field in StepRun._meta.concrete_fields:
        assert getattr(templated, field.attname) == getattr(django, field.attname), field.name
    assert templated._state.adding and templated._state.db is None
    first, second = (records.templated_step(template, key=k, module="m@1") for k in "ab")
    assert first.outputs == {} and first.history == [] and first.status == "reused"
    assert first.outputs is not second.outputs and first.history is not second.history


def test_nothing_watches_step_runs_being_built() -> None:
    """new_step sends no pre_init/post_init: nothing may need them for StepRun."""
    assert not pre_init.has_listeners(StepRun)
    assert not post_init.has_listeners(StepRun)
