"""Builds the snapshot messages (run.snapshot, workspace.snapshot) from the database."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from designer.runs.models import Run, StepRun
from designer.runs.records import events_after

WORKSPACE_SNAPSHOT_RUNS = 50
SNAPSHOT_FIELDS = (
    "status",
    "seq",
    "created_at",
    "started_at",
    "finished_at",
    "graph_version__graph",
    "graph_version__number",
)


def _step(step: StepRun) -> dict[str, Any]:
    return {
        "key": step.key,
        "module": step.module,
        "status": step.status,
        "attempts": step.attempts,
        "reason": step.reason,
        "progress": step.progress or None,
        "outputs": step.outputs,
        "error": step.error,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
        "history": step.attempt_list(),
    }


def run_snapshot(run_id: int) -> dict[str, Any] | None:
    """Return the run.snapshot envelope (state and seq read consistently), or None if no run."""
    with transaction.atomic():
        # Producers allocate seq under this row lock in the transaction that saves the state,
        # so holding it makes the steps and the seq read here agree.
        run = (
            Run.objects.select_for_update(of=("self",))
            .select_related("graph_version")
            .filter(pk=run_id)
            .first()
        )
        if run is None:
            return None
        steps = [_step(step) for step in run.step_list]
    version = run.graph_version
    data = {
        "run": {
            "id": run.pk,
            "workspace": run.workspace_id,
            "graph": version.graph_id,
            "version": version.number,
            "status": run.status,
            "created_at": run.created_at,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "parameters": run.parameters,
        },
        "steps": steps,
    }
    return {"type": "run.snapshot", "run_id": run.pk, "seq": run.seq, "data": data}


def replay(run_id: int, after: int) -> tuple[list[dict[str, Any]], int]:
    """Return the stored events after `after` up to the run's last seq, and that seq."""
    last = Run.objects.filter(pk=run_id).values_list("seq", flat=True).first() or 0
    return events_after(run_id, after, last), last


def latest_seqs(run_ids: list[int]) -> dict[int, int]:
    """The last seq of each run (one query)."""
    return dict(Run.objects.filter(pk__in=run_ids).values_list("pk", "seq"))


def workspace_snapshot(workspace_id: int) -> dict[str, Any]:
    """Return the workspace.snapshot envelope: the newest runs with their status and seq."""
    runs = (
        Run.objects.filter(workspace_id=workspace_id)
        .select_related("graph_version")
        .only(*SNAPSHOT_FIELDS)  # not a run's plan or parameters, nor its version's document
        .order_by("-created_at", "-id")[:WORKSPACE_SNAPSHOT_RUNS]
    )
    summaries = [
        {
            "id": run.pk,
            "graph": run.graph_version.graph_id,
            "version": run.graph_version.number,
            "status": run.status,
            "seq": run.seq,
            "created_at": run.created_at,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
        }
        for run in runs
    ]
    data = {"workspace": workspace_id, "runs": summaries}
    return {"type": "workspace.snapshot", "run_id": None, "seq": None, "data": data}
