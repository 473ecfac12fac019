"""Publishes saved run events to the channel groups that watch them (after the DB commit)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


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


def publish(group: str, message: dict[str, Any]) -> None:
    """Send one protocol message (an envelope dict) to a group; the consumers forward it."""
    _group_send(group, {"type": "protocol.message", "message": message})


def disconnect_member(workspace_id: int, user_id: int) -> None:
    """Close every socket a user has on a workspace, once the current transaction commits.

    Call it from the membership service right after deleting the Membership row.
    """
    group = member_group(workspace_id, user_id)
    transaction.on_commit(lambda: _group_send(group, {"type": "member.removed"}))
