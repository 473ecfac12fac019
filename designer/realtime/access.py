"""Who may do what on a socket: any member may watch a workspace and its runs and join a graph's
co-editing room (only editors and owners edit there); an endpoint key, the runs its own calls
started."""

from __future__ import annotations

from dataclasses import dataclass

from designer.endpoints.models import EndpointKey, Invocation
from designer.graphs.models import Graph
from designer.runs.models import Run
from designer.workspaces.models import ROLE_RANK, ApiToken, Membership, Role, Workspace


@dataclass(frozen=True)
class Denied:
    """Why a socket is refused: an ErrorCode and a message for the client."""

    code: str
    message: str


def is_member(user_id: int, workspace_id: int) -> bool:
    """Whether the user has a role in the workspace."""
    return Membership.objects.filter(workspace_id=workspace_id, user_id=user_id).exists()


def token_live(token_id: int) -> bool:
    """Whether an API token still signs in (not revoked since the handshake)."""
    return ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True).exists()


def endpoint_key_live(key_id: int) -> bool:
    """Whether an endpoint key still signs in (not revoked since the handshake)."""
    return EndpointKey.objects.filter(pk=key_id, revoked_at__isnull=True).exists()


def key_run(key_id: int, run_id: int) -> int | Denied:
    """Return the workspace of a run started by a call with this key, or why it may not watch."""
    workspace_id = (
        Invocation.objects.filter(run_id=run_id, key_id=key_id)
        .values_list("endpoint__workspace_id", flat=True)
        .first()
    )
    if workspace_id is None:  # the same answer as for a missing run: nothing leaks
        return Denied("not_found", f"Run {run_id} does not exist.")
    return workspace_id


def run_workspace(user_id: int | None, run_id: int) -> int | Denied:
    """Return the workspace of a run the user may watch, or why not."""
    if user_id is None:
        return Denied("unauthenticated", "Sign in, or pass an API token, to watch runs.")
    workspace_id = Run.objects.filter(pk=run_id).values_list("workspace_id", flat=True).first()
    if workspace_id is None:
        return Denied("not_found", f"Run {run_id} does not exist.")
    if not is_member(user_id, workspace_id):
        return Denied("forbidden", f"You are not a member of run {run_id}'s workspace.")
    return workspace_id


def workspace_access(user_id: int | None, workspace_id: int) -> int | Denied:
    """Return the workspace id if the user may watch it, or why not."""
    if user_id is None:
        return Denied("unauthenticated", "Sign in, or pass an API token, to watch a workspace.")
    if not Workspace.objects.filter(pk=workspace_id).exists():
        return Denied("not_found", f"Workspace {workspace_id} does not exist.")
    if not is_member(user_id, workspace_id):
        return Denied("forbidden", f"You are not a member of workspace {workspace_id}.")
    return workspace_id


@dataclass(frozen=True)
class GraphSeat:
    """A member's place in a graph's co-editing room."""

    workspace_id: int
    can_edit: bool
    username: str


def role_can_edit(role: str) -> bool:
    """Whether a role may change graphs (editors and owners)."""
    return ROLE_RANK.get(Role(role), 0) >= ROLE_RANK[Role.EDITOR]


def graph_seat(user_id: int | None, graph_id: int) -> GraphSeat | Denied:
    """Return the user's seat in a graph's room (any member may join; editors edit), or why not."""
    if user_id is None:
        return Denied("unauthenticated", "Sign in, or pass an API token, to open a graph.")
    workspace_id = Graph.objects.filter(pk=graph_id).values_list("workspace_id", flat=True).first()
    if workspace_id is None:
        return Denied("not_found", f"Graph {graph_id} does not exist.")
    membership = (
        Membership.objects.filter(workspace_id=workspace_id, user_id=user_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        return Denied("forbidden", f"You are not a member of graph {graph_id}'s workspace.")
    return GraphSeat(workspace_id, role_can_edit(membership.role), membership.user.username)


def can_edit(user_id: int, workspace_id: int) -> bool | None:
    """Whether a member may edit now (None: no longer a member)."""
    role = (
        Membership.objects.filter(workspace_id=workspace_id, user_id=user_id)
        .values_list("role", flat=True)
        .first()
    )
    return None if role is None else role_can_edit(role)
