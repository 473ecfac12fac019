"""The broker priority of a Celery run's tasks: a workspace with many runs going holds back
no other workspace's run (decision 0082)."""

from __future__ import annotations

from designer.runs.models import Run, RunStatus

LOWEST = 9  # Redis transport priorities: 0 is taken first, 9 last (settings: priority_steps)


def fair_priority(workspace_id: int) -> int:
    """How many of the workspace's runs are queued or running (one index look-up), capped at
    LOWEST: its next run's tasks wait behind those of workspaces running fewer."""
    active = Run.objects.filter(
        workspace_id=workspace_id, status__in=(RunStatus.QUEUED, RunStatus.RUNNING)
    )
    return min(active[: LOWEST + 1].count(), LOWEST)
