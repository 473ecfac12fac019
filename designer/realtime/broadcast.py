"""Publishes saved run events to the channel groups that watch them (after the DB commit)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from designer.realtime.protocol import RUN_LEVEL_EVENTS


def run_group(run_id: int) -> str:
    """The channel group of everyone watching one run."""
    return f"run.{run_id}"


def workspace_group(workspace_id: int) -> str:
    """The channel group of everyone watching a workspace's run list."""
    return f"workspace.{workspace_id}"


def member_group(workspace_id: int, user_id: int) -> str:
    """The channel group of one user's sockets on one workspace (runs and run list)."""
    return f"member.{workspace_id}.{user_id}"


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


def publish_run_events(workspace_id: int, envelopes: list[dict[str, Any]]) -> None:
    """Send committed run event envelopes to their run's group in one event-loop hop.

    Run-level events (a run started, finished) also go to the workspace's group.
    """
    layer = get_channel_layer()
    if layer is None or not envelopes:
        return

    async def send_all() -> None:
        for envelope in envelopes:
            message = {"type": "protocol.message", "message": envelope}
            await layer.group_send(run_group(envelope["run_id"]), message)
            if envelope["type"] in RUN_LEVEL_EVENTS:
                await layer.group_send(workspace_group(workspace_id), message)

    async_to_sync(send_all)()


def disconnect_member(workspace_id: int, user_id: int) -> None:
    """Close every socket a user has on a workspace, once the current transaction commits.

    Call it from the membership service right after deleting the Membership row.
    """
    group = member_group(workspace_id, user_id)
    transaction.on_commit(lambda: _group_send(group, {"type": "member.removed"}))
