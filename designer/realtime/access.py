"""Who may watch what: any member of a workspace (any role) may watch it and its runs; an
endpoint key, the runs its own calls started."""

from __future__ import annotations

from dataclasses import dataclass

from designer.endpoints.models import EndpointKey, Invocation
from designer.runs.models import Run
from designer.workspaces.models import ApiToken, Membership, Workspace


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
