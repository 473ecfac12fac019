"""Runs stored inline: an all-reused run's steps and event log as one RunRecord row.

A run the fast path finishes in its request (every step reused, decision 0038) would otherwise
write a StepRun per step and ~2 RunEvents per step. Its RunRecord holds the same thing: each
step's saved fields (those not at their default; the outputs left out, they are the data of the
step's `step.output` events) and the event log's [type, data] in seq order. Readers get exactly
what the rows would give: unsaved StepRuns in plan order and the same event envelopes. Both
are stored as JSON text packed by runs/packed.py (written by eventlog's `_save_record`), not
JSONFields (decisions 0042 and 0112).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models.base import ModelState

from designer.runs.models import Run, RunEvent, RunRecord, StepRun
from designer.runs.packed import unpack
from designer.runs.translate import STEP_FIELDS

# StepRun fields a record keeps (key and module always; the others when not at their default;
# the outputs are the data of the step's `step.output` events)
FIELDS = tuple(name for name in STEP_FIELDS if name != "outputs")
TIMES = ("started_at", "finished_at", "retry_at")
OUTPUT_FIELDS = ("digest", "kind", "size", "summary")


def _default(name: str) -> Any:
    return StepRun._meta.get_field(name).get_default()


DEFAULTS = {name: _default(name) for name in FIELDS}
COLUMNS = [field.attname for field in StepRun._meta.concrete_fields]
# a new step's column values (its run, key, module and mutable defaults are set per step)
BLANK = {column: DEFAULTS.get(column) for column in COLUMNS}


def new_step(run: Run, key: str, module: str, **fields: Any) -> StepRun:
    """An unsaved StepRun of `run` (by id) with these fields (by attname) and defaults for the rest.

    Its field values are set as `Model.__init__` leaves them (each attname in the instance's
    dict, a fresh `ModelState`) without its per-field work: ~1 µs a step against ~4.6 µs,
    which counts for the hundreds of steps a big rerun has. No pre_init/post_init signal is
    sent; no receiver watches StepRun (`tests/integration/api/test_records.py` checks both).
    """
    step = StepRun.__new__(StepRun)
    values = step.__dict__
    values.update(BLANK)
    values.update(run_id=run.pk, key=key, module=module, outputs={}, history=[])
    values.update(fields)
    step._state = ModelState()
    return step


def step_template(run: Run, **fields: Any) -> dict[str, Any]:
    """The column values (by attname) that new steps of `run` share, for `templated_step`."""
    return {**BLANK, "run_id": run.pk, **fields}


def templated_step(template: dict[str, Any], **fields: Any) -> StepRun:
    """`new_step` with `template`'s column values but `fields`; each step has outputs and a
    history of its own (empty unless given). For the many steps of one run that share most
    columns (an all-reused run's): one merge fewer a step."""
    step = StepRun.__new__(StepRun)
    values = step.__dict__
    values.update(template)
    values["outputs"], values["history"] = {}, []
    values.update(fields)
    step._state = ModelState()
    return step


def step_entries(steps: list[StepRun]) -> list[dict[str, Any]]:
    """What a record keeps of each step: key, module and every other field not at its default."""
    entries = []
    for step in steps:
        entry: dict[str, Any] = {"key": step.key, "module": step.module}
        for name, default in DEFAULTS.items():
            value = getattr(step, name)
            if value != default:
                entry[name] = value.isoformat() if name in TIMES and value else value
        entries.append(entry)
    return entries


def outputs_by_step(events: list[Any]) -> dict[str, dict[str, Any]]:
    """Each step's outputs, from its `step.output` events (as translate saves them on the step)."""
    outputs: dict[str, dict[str, Any]] = {}
    for kind, data in events:
        if kind == "step.output":
            info = {name: data[name] for name in OUTPUT_FIELDS}
            outputs.setdefault(data["step"], {})[data["port"]] = info
    return outputs


def record_steps(run: Run) -> list[StepRun]:
    """An inline run's steps as unsaved StepRuns, in plan order (what its rows would read)."""
    entries, events = RunRecord.objects.values_list("steps", "events").get(run_id=run.pk)
    outputs = outputs_by_step(unpack(events))
    steps = []
    for entry in unpack(entries):
        fields = dict(entry)
        for name in TIMES:
            if fields.get(name):
                fields[name] = datetime.fromisoformat(fields[name])
        fields["outputs"] = outputs.get(entry["key"], {})
        steps.append(new_step(run, **fields))
    return steps


def find_step(run: Run, key: str) -> StepRun | None:
    """One step of a run by key (None when it has none)."""
    if run.stored_inline:
        return next((step for step in run.step_list if step.key == key), None)
    return run.steps.filter(key=key).first()


def events_after(run_id: int, after: int, upto: int | None = None) -> list[dict[str, Any]]:
    """A run's saved event envelopes with after < seq (≤ upto), in seq order, rows or inline."""
    packed = RunRecord.objects.filter(run_id=run_id).values_list("events", flat=True).first()
    if packed is not None:
        events = unpack(packed)
        last = len(events) if upto is None else min(upto, len(events))
        return [
            {"type": kind, "run_id": run_id, "seq": seq, "data": data}
            for seq, (kind, data) in enumerate(events[after:last], start=after + 1)
        ]
    rows = RunEvent.objects.filter(run_id=run_id, seq__gt=after)
    if upto is not None:
        rows = rows.filter(seq__lte=upto)
    return [
        {"type": kind, "run_id": run_id, "seq": seq, "data": data}
        for kind, seq, data in rows.order_by("seq").values_list("type", "seq", "data")
    ]
