"""Record an action in its workspace's activity log, inside the action's own transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from designer.activity.models import Action, ActivityEntry, TargetKind

NAME_CHARS = 200  # a target's name snapshot is cut to this many characters


class NotInTransaction(RuntimeError):
    """An entry was recorded outside a transaction: it could land without its action."""


def record(
    workspace_id: int,
    actor: Any,
    action: Action,
    kind: TargetKind,
    target_id: int | None,
    target_name: str,
    **details: Any,
) -> ActivityEntry:
    """Add an entry for `action` on a target, by `actor` (a user, or None for the system).

    Must run in the transaction that makes the change, so both land or neither does. `details`
    are JSON values that say what changed (never secrets: callers pass names and numbers).
    """
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction(f"Record {action} in the transaction of the change it describes.")
    user = actor if actor is not None and actor.is_authenticated else None
    return ActivityEntry.objects.create(
        workspace_id=workspace_id,
        actor=user,
        actor_name=user.get_username() if user is not None else "",
        action=action,
        target_kind=kind,
        target_id=target_id,
        target_name=str(target_name)[:NAME_CHARS],
        details=details,
    )


def changes_of(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {from, to}} for each field whose value differs between `before` and `after`."""
    return {
        field: {"from": before.get(field), "to": value}
        for field, value in after.items()
        if before.get(field) != value
    }
