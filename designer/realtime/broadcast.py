"""Publishes saved run events to the channel groups that watch them (after the DB commit)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def run_group(run_id: int) -> str:
    """The channel group of everyone watching one run."""
    return f"run.{run_id}"


def workspace_group(workspace_id: int) -> str:
    """The channel group of everyone watching a workspace's run list."""
    return f"workspace.{workspace_id}"


def publish(group: str, message: dict[str, Any]) -> None:
    """Send one protocol message (an envelope dict) to a group; the consumers forward it."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, {"type": "protocol.message", "message": message})
