"""A run's answer (the POST's 201, the run's GET) is DRF's field-by-field representation, byte
for byte, for every kind of step: reused, ran, failed, skipped (decision 0042, fourth pass)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from designer.runs.api import RUNS
from designer.runs.models import Run, StepRun
from designer.runs.serializers import RunSerializer, RunSummarySerializer, StepSerializer
from tests.integration.api.conftest import Team
from tests.integration.api.orm_runs import runs_by_id
from tests.integration.api.test_runs import (
    FAILING,
    WORKING,
    chain_document,
    make_graph,
    steps,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


class GenericStep(StepSerializer):
    """The step serializer as DRF represents it, field by field."""

    class Meta(StepSerializer.Meta):
        list_serializer_class = serializers.ListSerializer

    def to_representation(self, instance: StepRun) -> dict[str, Any]:
        return dict(serializers.ModelSerializer.to_representation(self, instance))


class GenericSummary(RunSummarySerializer):
    """The run summary serializer as DRF represents it, field by field."""

    class Meta(RunSummarySerializer.Meta):
        list_serializer_class = serializers.ListSerializer

    def to_representation(self, instance: Run) -> dict[str, Any]:
        return dict(serializers.ModelSerializer.to_representation(self, instance))


class GenericRun(RunSerializer):
    """The run serializer as DRF represents it, with the reused runs read through the ORM."""

    steps = GenericStep(many=True, read_only=True, source="step_list")

    def to_representation(self, instance: Run) -> dict[str, Any]:
        return dict(serializers.ModelSerializer.to_representation(self, instance))

    def get_reused_runs(self, run: Run) -> dict[str, Any]:
        return runs_by_id(run.workspace_id, {s.reused_from for s in run.step_list if s.reused_from})


def rendered(serializer: Any) -> bytes:
    return bytes(JSONRenderer().render(serializer.data))


def test_a_runs_answer_is_drfs_representation_byte_for_byte(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    document = chain_document(3, WORKING)
    graph = make_graph(editor, team_tx.workspace.pk, document)
    first = wait_for(
        editor, editor.post(f"/api/graphs/{graph}/runs/", {}, format="json").json()["id"]
    )
    assert first["status"] == "succeeded"
    rerun = editor.post(f"/api/graphs/{graph}/runs/", {}, format="json")  # all reused, inline
    assert rerun.status_code == 201 and rerun.json()["status"] == "succeeded"

    # s1, s2 reused; s3 changed (ran); py fails; "after" waits on py (skipped)
    document["nodes"][2]["params"]["pattern"] = "^nothing$"
    document["nodes"][3]["params"]["code"] = FAILING
    document["nodes"].append(
        {
            "id": "after",
            "module": "transform.select_columns@1",
            "params": document["nodes"][2]["params"],
        }
    )
    document["edges"].append(
        {
            "id": "eafter",
            "source": {"node": "py", "port": "result1"},
            "target": {"node": "after", "port": "dataset"},
        }
    )
    etag = editor.get(f"/api/graphs/{graph}/").json()["etag"]
    saved = editor.put(f"/api/graphs/{graph}/draft/", document, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200, saved.json()
    mixed = wait_for(
        editor, editor.post(f"/api/graphs/{graph}/runs/", {}, format="json").json()["id"]
    )
    kinds = {key: step["status"] for key, step in steps(mixed).items()}
    assert kinds == {
        "s1": "reused",
        "s2": "reused",
        "s3": "succeeded",
        "py": "failed",
        "after": "upstream_failed",
    }
    assert mixed["reused_runs"] and all(s["started_at"] for s in mixed["steps"][2:4])

    # a run of every other shape: parameters, resumed, pinned, canceled, no one's, no steps
    odd = Run.objects.create(
        workspace_id=team_tx.workspace.pk,
        graph_version_id=RUNS.get(pk=mixed["id"]).graph_version_id,
        parameters={"rows": 3, "name": "ü", "rate": 0.1, "none": None, "on": True},
        options={"bypass_cache": True, "from_node": "s2", "only_node": None},
        status="canceled",
        error="Canceled by a user.",
        seq=7,
        pinned=True,
        resumed_from_id=mixed["id"],
        started_at=timezone.now(),
    )

    # the POST's answer (the run as it was saved, in memory) reads back the same (PostgreSQL's
    # jsonb orders the keys of `options` its own way)
    assert rerun.json() == editor.get(f"/api/runs/{rerun.json()['id']}/").json()
    ids = (first["id"], rerun.json()["id"], mixed["id"], odd.pk)
    for zone in ("UTC", "Europe/Paris"):
        with timezone.override(zone):
            for run_id in ids:
                run = RUNS.get(pk=run_id)
                assert rendered(RunSerializer(run)) == rendered(GenericRun(RUNS.get(pk=run_id)))
                assert rendered(RunSummarySerializer(run)) == rendered(GenericSummary(run))
                for step in run.step_list:
                    assert rendered(StepSerializer(step)) == rendered(GenericStep(step))
            runs = list(RUNS.filter(pk__in=ids))
            listed = RunSummarySerializer(runs, many=True)
            assert rendered(listed) == rendered(GenericSummary(runs, many=True))
    listing = editor.get(f"/api/workspaces/{team_tx.workspace.pk}/runs/")
    assert listing.json()["results"] == GenericSummary(RUNS.filter(pk__in=ids), many=True).data
    with timezone.override("Europe/Paris"):  # the zone a request activated, as DRF shows it
        assert b"+01:00" in rendered(StepSerializer(RUNS.get(pk=mixed["id"]).step_list[2]))
