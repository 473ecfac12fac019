"""Who may do what on a socket: any member may watch a workspace and its runs and join a graph's
co-editing room (only editors and owners edit there); an endpoint key, the runs its own calls
started.

A run, workspace or graph the user is not a member of is refused exactly like one that does not
exist (`not_found`, same message), as the REST API answers 404 for both.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import load_backend
from django.utils.crypto import constant_time_compare

from designer.endpoints.models import EndpointKey, Invocation
from designer.runs.models import Run
from designer.workspaces.models import ROLE_RANK, ApiToken, Membership, Role
from designer.workspaces.sessions import SessionSignIn, SessionStore


@dataclass(frozen=True)
class Denied:
    """Why a socket is refused: an ErrorCode and a message for the client."""

    code: str
    message: str


def is_member(user_id: int, workspace_id: int) -> bool:
    """Whether the user has a role in the workspace."""
    return Membership.objects.filter(workspace_id=workspace_id, user_id=user_id).exists()


def token_live(token_id: int) -> bool:
    """Whether an API token still signs in (not revoked, its user active)."""
    return ApiToken.objects.filter(
        pk=token_id, revoked_at__isnull=True, user__is_active=True
    ).exists()


def endpoint_key_live(key_id: int) -> bool:
    """Whether an endpoint key still signs in (not revoked since the handshake)."""
    return EndpointKey.objects.filter(pk=key_id, revoked_at__isnull=True).exists()


def session_sign_in(session_key: str) -> SessionSignIn | None:
    """Who a session cookie signs in (None: no such session, expired, or signed out)."""
    return SessionStore(session_key).sign_in()


@dataclass(frozen=True)
class SessionUser:
    """A user as sessions check it: the session auth hashes that still sign them in."""

    user_id: int
    auth_hashes: tuple[str, ...]  # the current secret's first, then SECRET_KEY_FALLBACKS'


def session_user(user_id: int, backend_path: str) -> SessionUser | None:
    """The user a session names, if its backend still signs them in (as Django's get_user:
    a known backend, the user exists and may sign in, e.g. is active)."""
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)
    if user is None:
        return None
    hashes = (user.get_session_auth_hash(), *user.get_session_auth_fallback_hash())
    return SessionUser(user.pk, hashes)


def session_valid(sign_in: SessionSignIn, user: SessionUser) -> bool:
    """Whether a session was signed in with the user's current password (Django's check)."""
    given = sign_in.auth_hash
    return bool(given) and any(constant_time_compare(given, h) for h in user.auth_hashes)


def key_run(key_id: int, run_id: int) -> int | Denied:
    """Return the workspace of a run started by a call with this key, or why it may not watch."""
    workspace_id = (
        Invocation.objects.filter(run_id=run_id, key_id=key_id)
        .values_list("endpoint__workspace_id", flat=True)
        .first()
    )
    if workspace_id is None:  # the same answer as for a missing run: nothing leaks
        return run_not_found(run_id)
    return workspace_id


RUN_WORKSPACES_KEPT = 10_000
_run_workspaces: dict[int, int] = {}  # run id -> workspace id: a run never changes workspace


def run_workspace(run_id: int) -> int | None:
    """The workspace of a run (None: no such run); remembered for runs that exist."""
    workspace_id = _run_workspaces.get(run_id)
    if workspace_id is None:
        workspace_id = Run.objects.filter(pk=run_id).values_list("workspace_id", flat=True).first()
        if workspace_id is not None:
            if len(_run_workspaces) >= RUN_WORKSPACES_KEPT:
                _run_workspaces.clear()
            _run_workspaces[run_id] = workspace_id
    return workspace_id


def known_run_workspace(run_id: int) -> int | None:
    """The workspace of a run if this process has read it before (no database access)."""
    return _run_workspaces.get(run_id)


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
    membership = (
        Membership.objects.filter(user_id=user_id, workspace__graphs=graph_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        return graph_not_found(graph_id)
    return GraphSeat(
        membership.workspace_id, role_can_edit(membership.role), membership.user.username
    )


def can_edit(user_id: int, workspace_id: int) -> bool | None:
    """Whether a member may edit now (None: no longer a member)."""
    role = (
        Membership.objects.filter(workspace_id=workspace_id, user_id=user_id)
        .values_list("role", flat=True)
        .first()
    )
    return None if role is None else role_can_edit(role)


def run_not_found(run_id: int) -> Denied:
    """The refusal for a run that does not exist or is not the user's to watch."""
    return Denied("not_found", f"Run {run_id} not found.")


def workspace_not_found(workspace_id: int) -> Denied:
    """The refusal for a workspace that does not exist or is not the user's to watch."""
    return Denied("not_found", f"Workspace {workspace_id} not found.")


def graph_not_found(graph_id: int) -> Denied:
    """The refusal for a graph that does not exist or is not the user's to open."""
    return Denied("not_found", f"Graph {graph_id} not found.")
