"""A run stored inline keeps its steps and log packed (decision 0112), and migrating keeps them.

Every rerun of a graph repeats its steps' reasons, fingerprints and outputs with their
summaries: its record stores that JSON compressed, and reads back exactly what it held.
"""

from __future__ import annotations

import zlib
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from designer.runs import records
from designer.runs.models import Run, RunRecord
from tests.integration.api.conftest import Team
from tests.integration.api.test_reused_runs import cached_graph, post_run

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE, PACKED = [("runs", "0012_run_priority")], [("runs", "0013_runrecord_packed")]


def stored(run_id: int) -> dict[str, Any]:
    """What readers get of a run stored inline: its event log and its steps' columns."""
    steps = Run.objects.get(pk=run_id).step_list
    return {
        "events": records.events_after(run_id, 0),
        "steps": [
            {field.attname: getattr(step, field.attname) for field in step._meta.concrete_fields}
            for step in steps
        ],
    }


def test_a_rerun_stores_its_record_in_a_fraction_of_its_json(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx, nodes=30)
    run_id = post_run(editor, graph)["id"]
    steps, events = RunRecord.objects.values_list("steps", "events").get(run_id=run_id)
    text = zlib.decompress(steps) + zlib.decompress(events)
    assert len(steps) + len(events) < len(text) / 5
    log = stored(run_id)["events"]
    assert len(log) == 2 + 30 * 2 + 2
    outputs = [e["data"] for e in log if e["type"] == "step.output"]
    assert all(o["summary"]["rows"] == 150 for o in outputs)  # iris, every column kept


def test_records_saved_before_packing_read_the_same_after_migrating(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx, nodes=4)
    run_id = post_run(editor, graph)["id"]
    expected = stored(run_id)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)  # the record's columns back to JSON text
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        texts = old.get_model("runs", "RunRecord").objects.values_list("steps", "events")
        steps_text, events_text = texts.get(run_id=run_id)
        assert steps_text.startswith('[{"key":"s1"') and '"step.output"' in events_text
    finally:
        MigrationExecutor(connection).migrate(PACKED)
    assert stored(run_id) == expected


def test_the_admin_shows_a_records_steps_and_log_as_json(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx, nodes=3)
    answer = post_run(editor, graph)
    owner = team_tx.users["owner"]
    get_user_model().objects.filter(pk=owner.pk).update(is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(owner)
    page = admin.get(f"/admin/runs/runrecord/{answer['id']}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert answer["steps"][2]["reason"] in text and "step.output" in text
