"""Writes for workspaces, members and API tokens (the only place that changes them)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions

from designer.activity.log import record
from designer.activity.models import Action, TargetKind
from designer.realtime.broadcast import disconnect_member, disconnect_token, member_role_changed
from designer.runs import engine_setup
from designer.runs.models import Run
from designer.workspaces.models import ApiToken, Membership, Role, Workspace
from designer.workspaces.tokens import new_token


class Conflict(exceptions.APIException):
    """The request conflicts with the current state (409)."""

    status_code = 409
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


@transaction.atomic
def create_workspace(user: Any, name: str) -> Workspace:
    """Create a workspace with `user` as its owner, with nothing left from an earlier
    workspace that had its id (engine_setup.empty_workspace_storage)."""
    workspace = Workspace.objects.create(name=name, created_by=user)
    engine_setup.empty_workspace_storage(workspace.pk)
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace


@transaction.atomic
def rename_workspace(actor: Any, workspace: Workspace, name: str) -> Workspace:
    """Rename a workspace (recorded in its activity log when the name changes)."""
    old = workspace.name
    workspace.name = name
    workspace.save(update_fields=["name"])
    if old != name:
        record(
            workspace.pk,
            actor,
            Action.WORKSPACE_RENAMED,
            TargetKind.WORKSPACE,
            workspace.pk,
            name,
            **{"from": old, "to": name},
        )
    return workspace


@transaction.atomic
def delete_workspace(workspace: Workspace) -> None:
    """Delete a workspace with its runs, graphs, datasets and cache index (their files once
    committed) and activity log."""
    Run.objects.filter(workspace=workspace).delete()
    workspace_id = workspace.pk
    workspace.delete()
    transaction.on_commit(lambda: engine_setup.empty_workspace_storage(workspace_id))


def find_user(inviter: Any, identifier: str) -> Any:
    """The active user an invite names, or a 400 that tells nothing the inviter may not know.

    By e-mail address (the inviter already knows it): any active user with that address. By
    username: only someone the inviter already shares a workspace with (or any user, for staff),
    so inviting is no way to learn which usernames exist. Either way a miss reads the same.
    """
    users = get_user_model().objects.filter(is_active=True)
    if "@" in identifier:
        user = users.filter(email__iexact=identifier).first()
    else:
        if not inviter.is_staff:
            shared = Membership.objects.filter(user=inviter).values("workspace_id")
            users = users.filter(memberships__workspace_id__in=shared)
        user = users.filter(username=identifier).first()
    if user is None:
        raise exceptions.ValidationError(
            {
                "user": [
                    "No one you can invite by that name: use a username of someone you share "
                    "a workspace with, or the person's e-mail address."
                ]
            }
        )
    return user


@transaction.atomic
def add_member(inviter: Any, workspace: Workspace, identifier: str, role: str) -> Membership:
    """Invite an existing user into a workspace with a role (see find_user for who)."""
    user = find_user(inviter, identifier)
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        raise Conflict(f"{user.username} is already a member of this workspace.")
    membership = Membership.objects.create(workspace=workspace, user=user, role=role)
    record(
        workspace.pk,
        inviter,
        Action.MEMBER_ADDED,
        TargetKind.MEMBER,
        user.pk,
        user.get_username(),
        role=role,
    )
    return membership


OWNER_NEEDED = "A workspace needs at least one owner; make someone else owner first."


def _ensure_an_owner_remains(membership: Membership, refusal: str = OWNER_NEEDED) -> None:
    owners = Membership.objects.select_for_update().filter(
        workspace_id=membership.workspace_id, role=Role.OWNER
    )
    if membership.role == Role.OWNER and owners.count() == 1:
        raise Conflict(refusal)


def _member_entry(actor: Any, membership: Membership, action: Action, **details: Any) -> None:
    user = membership.user
    record(
        membership.workspace_id,
        actor,
        action,
        TargetKind.MEMBER,
        user.pk,
        user.get_username(),
        **details,
    )


@transaction.atomic
def change_role(actor: Any, membership: Membership, role: str) -> Membership:
    """Change a member's role; the last owner cannot be demoted."""
    if role != Role.OWNER:
        _ensure_an_owner_remains(membership)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    if old != role:
        _member_entry(actor, membership, Action.MEMBER_ROLE_CHANGED, **{"from": old, "to": role})
    member_role_changed(membership.workspace_id, membership.user_id)
    return membership


@transaction.atomic
def remove_member(actor: Any, membership: Membership) -> None:
    """Remove a member; the last owner cannot be removed."""
    _end_membership(actor, membership, Action.MEMBER_REMOVED)


@transaction.atomic
def leave(membership: Membership) -> None:
    """A member leaves a workspace; the last owner cannot (another owner first, or delete it)."""
    _end_membership(
        membership.user,
        membership,
        Action.MEMBER_LEFT,
        "You are this workspace's last owner: make someone else owner first, or delete the "
        "workspace.",
    )


def _end_membership(
    actor: Any, membership: Membership, action: Action, refusal: str = OWNER_NEEDED
) -> None:
    """Delete a membership with its activity entry and close its sockets (`refusal`: the
    message when it is the last owner's)."""
    _ensure_an_owner_remains(membership, refusal)
    _member_entry(actor, membership, action, role=membership.role)
    membership.delete()
    disconnect_member(membership.workspace_id, membership.user_id)


def create_token(user: Any, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; returns the row and the raw token (shown once)."""
    raw, prefix, digest = new_token()
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, token_hash=digest)
    return token, raw


def revoke_token(token: ApiToken) -> None:
    """Revoke a token: it stops authenticating at once."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        disconnect_token(token.pk)
