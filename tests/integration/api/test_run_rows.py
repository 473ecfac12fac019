"""A run saved by its one prepared INSERT is the row Run.objects.create saves, signals and all."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save

from designer.graphs.services import commit_version, create_graph
from designer.runs import run_rows
from designer.runs.models import Run
from designer.workspaces import services

pytestmark = pytest.mark.django_db

EMPTY = {"schema_version": 1, "parameters": {}, "nodes": [], "edges": [], "comments": []}


def new_run_values() -> dict[str, Any]:
    user = get_user_model().objects.create_user("ada")
    workspace = services.create_workspace(user, "team")
    graph = create_graph(workspace, user, "g", document=EMPTY)
    version = commit_version(graph.pk, user, "v1", only_if_changed=False)
    return {
        "workspace_id": workspace.pk,
        "graph_version": version,
        "parameters": {"rows": 3, "name": "ü"},
        "options": {"bypass_cache": False, "from_node": None, "policy": {"retries": 1}},
        "runner": "local",
        "created_by": user,
    }


def test_an_inserted_run_is_the_row_django_creates() -> None:
    values = new_run_values()
    saved = run_rows.insert(Run(**values))
    created = Run.objects.create(**values)
    assert saved.pk is not None and saved.pk != created.pk
    assert not saved._state.adding and saved._state.db == created._state.db
    stored, expected = Run.objects.get(pk=saved.pk), Run.objects.get(pk=created.pk)
    for field in Run._meta.concrete_fields:
        if field.name not in ("id", "created_at"):
            assert getattr(stored, field.attname) == getattr(expected, field.attname), field.name
    assert stored.created_at == saved.created_at
    assert abs((expected.created_at - stored.created_at).total_seconds()) < 60


def test_an_inserted_run_sends_the_signals_save_sends() -> None:
    values = new_run_values()
    heard: list[tuple[str, dict[str, Any]]] = []

    def before(**kwargs: Any) -> None:
        heard.append(("pre_save", {**kwargs, "pk": kwargs["instance"].pk}))

    def after(**kwargs: Any) -> None:
        heard.append(("post_save", {**kwargs, "pk": kwargs["instance"].pk}))

    pre_save.connect(before, sender=Run)
    post_save.connect(after, sender=Run)
    try:
        run = run_rows.insert(Run(**values))
        Run.objects.create(**values)
    finally:
        pre_save.disconnect(before, sender=Run)
        post_save.disconnect(after, sender=Run)
    ours, django = heard[:2], heard[2:]
    assert [name for name, _ in ours] == [name for name, _ in django] == ["pre_save", "post_save"]
    assert ours[0][1]["instance"] is ours[1][1]["instance"] is run
    assert (ours[0][1]["pk"], ours[1][1]["pk"]) == (None, run.pk)
    for (_, mine), (_, theirs) in zip(ours, django, strict=True):
        assert {k: v for k, v in mine.items() if k not in ("instance", "pk")} == {
            k: v for k, v in theirs.items() if k not in ("instance", "pk")
        }


def test_the_runs_steps_reused_from_read_as_the_orm_reads_them() -> None:
    from datetime import timedelta

    from tests.integration.api.orm_runs import runs_by_id

    values = new_run_values()
    runs = [run_rows.insert(Run(**values)) for _ in range(4)]
    for shift, run in zip((3, 1, 2, 0), runs, strict=True):  # created in another order
        Run.objects.filter(pk=run.pk).update(created_at=run.created_at - timedelta(hours=shift))
    gone = get_user_model().objects.create_user("gone")
    Run.objects.filter(pk=runs[2].pk).update(created_by=gone, status="failed")
    gone.delete()  # its runs are kept, created by no one
    other = services.create_workspace(values["created_by"], "other")
    elsewhere = run_rows.insert(Run(**{**values, "workspace_id": other.pk}))
    workspace = values["workspace_id"]
    asked = {str(run.pk) for run in runs} | {str(elsewhere.pk), "", "x1", "999999"}
    mine = run_rows.refs(workspace, asked)
    assert mine == runs_by_id(workspace, asked)
    assert list(mine) == list(runs_by_id(workspace, asked))  # newest first, as Run is ordered
    assert list(mine) == [str(runs[i].pk) for i in (3, 1, 2, 0)]
    assert mine[str(runs[2].pk)]["created_by"] is None
    assert mine[str(runs[0].pk)]["created_by"] == "ada"
    assert run_rows.refs(workspace, {str(runs[1].pk)}) == runs_by_id(workspace, {str(runs[1].pk)})
    assert run_rows.refs(workspace, set()) == {} == run_rows.refs(workspace, {"x"})


@pytest.mark.postgres  # transition_sql's statements are PostgreSQL's (FOR UPDATE, ANY, clock)
def test_a_transitions_reads_are_the_rows_the_orm_reads() -> None:
    from django.db import transaction
    from django.utils import timezone

    from designer.runs import transition_sql
    from designer.runs.models import StepRun

    run = Run.objects.create(**new_run_values(), started_at=timezone.now())
    StepRun.objects.create(run=run, key="a", module="m@1", outputs={"out": {"digest": "d"}})
    StepRun.objects.create(run=run, key="b", module="m@1", history=[{"attempt": 1}], attempts=2)
    with transaction.atomic():
        locked, _ = transition_sql.lock_run(run.pk)
        steps = transition_sql.steps(run.pk, None, queued=False)
    fresh = Run.objects.get(pk=run.pk)
    for field in transition_sql.RUN_FIELDS:
        assert getattr(locked, field.attname) == getattr(fresh, field.attname), field.name
    assert [whole for whole, _ in steps] == [True, True]
    by_key = {step.key: step for _, step in steps}
    for expected in StepRun.objects.filter(run=run):
        for field in transition_sql.STEP_FIELDS:
            got = getattr(by_key[expected.key], field.attname)
            assert got == getattr(expected, field.attname), field.name
