"""Every write of watches: watch (or change a watch) and unwatch a pipeline."""

from __future__ import annotations

from typing import Any

from designer.graphs.models import Graph
from designer.notifications.models import Watch, WatchScope
from designer.notifications.sender import mail_on


def watch_state(user: Any, graph: Graph) -> dict[str, Any]:
    """The user's watch of `graph` (the defaults when not watching), as the API answers it."""
    watch = Watch.objects.filter(user=user, graph=graph).first()
    return {
        "watching": watch is not None,
        "scope": watch.scope if watch else WatchScope.OTHERS,
        "recovered": watch.recovered if watch else True,
        "has_email": bool(user.email),
        "mail_enabled": mail_on(),
    }


def watch(user: Any, graph: Graph, scope: str, recovered: bool) -> None:
    """Watch `graph` (or change what the watch tells)."""
    Watch.objects.update_or_create(
        user=user, graph=graph, defaults={"scope": scope, "recovered": recovered}
    )


def unwatch(user: Any, graph: Graph) -> None:
    """Stop watching `graph` (nothing when not watching)."""
    Watch.objects.filter(user=user, graph=graph).delete()
