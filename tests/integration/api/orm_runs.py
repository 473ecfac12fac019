"""The runs a run's steps reused from, read through the ORM: what `run_rows.refs` must equal."""

from __future__ import annotations

from typing import Any

from designer.runs.models import Run


def runs_by_id(workspace_id: int, ids: set[str]) -> dict[str, dict[str, Any]]:
    """Who started the given runs of a workspace, and when (runs elsewhere are left out)."""
    numbers = {int(i) for i in ids if str(i).isdigit()}
    rows = Run.objects.filter(workspace_id=workspace_id, pk__in=numbers).select_related(
        "created_by", "graph_version"
    )
    return {
        str(run.pk): {
            "id": run.pk,
            "created_at": run.created_at,
            "created_by": run.created_by.username if run.created_by else None,
            "origin": run.origin or None,
            "status": run.status,
            "graph": run.graph_version.graph_id,
        }
        for run in rows.defer("inline_plan", "parameters", "graph_version__document")
    }
