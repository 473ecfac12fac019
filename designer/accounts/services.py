"""Confirming a user's new e-mail address, and inviting people without an account by e-mail."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from rest_framework import exceptions

from designer.accounts import addresses, mail
from designer.accounts.addresses import BadLink
from designer.accounts.models import Invitation, SentMail
from designer.activity.log import record
from designer.activity.models import Action, TargetKind
from designer.api_errors import ApiError
from designer.notifications import outbox
from designer.notifications.mail import link
from designer.notifications.sender import mail_on
from designer.workspaces import services as workspace_services
from designer.workspaces.models import Membership, Workspace
from designer.workspaces.tokens import hash_token

logger = logging.getLogger(__name__)
INVITATION_VALID_FOR = timedelta(days=7)
# mails one user may have the server send to others in an hour: invitations, address
# confirmations, notes that they added someone (decision 0086)
MAILS_PER_HOUR = 20
NO_MAIL = "sends no mail (no EMAIL_HOST is set)"  # "This server …"


def address_taken(email: str, user: Any | None = None) -> bool:
    """Whether an active account other than `user` has this address."""
    others = get_user_model().objects.filter(is_active=True, email__iexact=email)
    return others.exclude(pk=user.pk).exists() if user is not None else others.exists()


def _send(message: EmailMessage, what: str) -> None:
    try:
        message.send()
    except Exception:
        logger.exception("Could not send %s", what)
        raise ApiError(
            503,
            "mail_failed",
            f"The mail server did not take the {what}: nothing was changed; try again later.",
        ) from None


def change_address(user: Any, email: str, request: HttpRequest) -> str:
    """Clear `user`'s address at once, or mail a link that sets it to `email` once opened.

    Returns the address a link went to ("" when none was needed). An address is someone's only
    once they opened a link sent to it, since invitations find people by it.
    """
    email = get_user_model().objects.normalize_email(email.strip())
    if email.lower() == user.email.lower() and email:
        return ""
    if not email:
        user.email = ""
        user.save(update_fields=["email"])
        return ""
    if address_taken(email, user):
        raise exceptions.ValidationError({"email": ["Another account has this address."]})
    if not mail_on():
        raise ApiError(
            409,
            "no_mail",
            f"This server {NO_MAIL}, so it cannot confirm a new address: an administrator sets "
            "it in the admin.",
            [{"field": "email", "code": "no_mail", "message": f"This server {NO_MAIL}."}],
        )
    _check_rate(user)
    path = reverse("confirm-address", args=[addresses.token_for(user, email)])
    _send(mail.confirmation(user, email, link(path, request)), "confirmation mail")
    SentMail.objects.create(sender=user)
    return email


def confirm_address(user: Any, token: str) -> str:
    """Set the address a confirmation link names, or BadLink saying why not."""
    change = addresses.read(token, user)
    if address_taken(change.email, user):
        raise BadLink("Another account confirmed this address meanwhile.")
    user.email = change.email
    user.save(update_fields=["email"])
    return change.email


def add_or_invite(
    inviter: Any, workspace: Workspace, identifier: str, role: str, request: HttpRequest
) -> Membership | Invitation:
    """Add an existing user (workspaces.services.find_user says who; told by mail), or mail an
    invitation to an address no account has."""
    try:
        membership = workspace_services.add_member(inviter, workspace, identifier, role)
    except exceptions.ValidationError:
        if "@" not in identifier:
            raise
    else:
        _tell_added(membership, inviter, request)
        return membership
    if not mail_on():
        raise exceptions.ValidationError(
            {
                "user": [
                    f"No account has this address, and this server {NO_MAIL} to invite it: an "
                    "administrator creates the account first."
                ]
            }
        )
    return invite(inviter, workspace, identifier, role, request)


def _tell_added(membership: Membership, inviter: Any, request: HttpRequest) -> None:
    """Mail an added member (when the server sends mail, they have an address and the inviter
    has mails left this hour: adding someone again and again mails them at most MAILS_PER_HOUR
    times), from the outbox's thread once the membership is committed."""
    if mail_on() and membership.user.email and _mails_left(inviter):
        SentMail.objects.create(sender=inviter)
        path = reverse("workspace", kwargs={"workspace": membership.workspace_id})
        message = mail.added(membership, inviter, link(path, request))
        transaction.on_commit(lambda: outbox.send_later(message.send))


def invite(
    inviter: Any, workspace: Workspace, email: str, role: str, request: HttpRequest
) -> Invitation:
    """Mail an invitation into `workspace` to `email`, replacing any earlier one to it.

    The mail goes first: when the mail server refuses it, nothing is saved.
    """
    email = email.strip().lower()
    _check_rate(inviter)
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation(
        workspace=workspace,
        email=email,
        role=role,
        invited_by=inviter,
        token_hash=hash_token(raw),
        created_at=now,
        expires_at=now + INVITATION_VALID_FOR,
    )
    path = reverse("join", args=[raw])
    _send(mail.invitation(invitation, link(path, request)), "invitation mail")
    with transaction.atomic():
        Invitation.objects.filter(workspace=workspace, email=email).delete()
        invitation.save()
        SentMail.objects.create(sender=inviter)
        record(
            workspace.pk,
            inviter,
            Action.INVITATION_SENT,
            TargetKind.INVITATION,
            invitation.pk,
            email,
            role=role,
        )
    return invitation


class TooManyMails(exceptions.Throttled):
    """The user had MAILS_PER_HOUR mails sent to others in the last hour (429, Retry-After)."""

    default_code = "too_many_mails"


def _sent_last_hour(sender: Any) -> list[Any]:
    """When the sender's mails of the last hour went, newest first (at most MAILS_PER_HOUR);
    older rows are dropped."""
    since = timezone.now() - timedelta(hours=1)
    SentMail.objects.filter(sender=sender, sent_at__lt=since).delete()
    sent = SentMail.objects.filter(sender=sender).order_by("-sent_at")
    return list(sent.values_list("sent_at", flat=True)[:MAILS_PER_HOUR])


def _mails_left(sender: Any) -> bool:
    return len(_sent_last_hour(sender)) < MAILS_PER_HOUR


def _check_rate(sender: Any) -> None:
    times = _sent_last_hour(sender)
    if len(times) >= MAILS_PER_HOUR:
        wait = (times[-1] + timedelta(hours=1) - timezone.now()).total_seconds()
        raise TooManyMails(
            max(wait, 1),
            f"You had {MAILS_PER_HOUR} mails sent (invitations, address confirmations) in the "
            "last hour.",
        )


def invitation_of(raw: str) -> Invitation:
    """The live invitation a link's token names, or BadLink."""
    invitation = (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token_hash=hash_token(raw))
        .first()
    )
    if invitation is None:
        raise BadLink(
            "This invitation is no longer valid: it was used, revoked or replaced by a newer "
            "one. Ask an owner of the workspace to invite you again."
        )
    if invitation.expired:
        raise BadLink("This invitation has expired: ask an owner of the workspace for a new one.")
    return invitation


@transaction.atomic
def join(invitation: Invitation, user: Any) -> Membership:
    """Make `user` a member with the invitation's role (or keep their membership) and use it up."""
    if not Invitation.objects.select_for_update().filter(pk=invitation.pk).exists():
        raise BadLink("This invitation was used or revoked a moment ago.")
    invitation.delete()
    existing = Membership.objects.filter(workspace=invitation.workspace, user=user).first()
    if existing is not None:
        return existing
    membership = Membership.objects.create(
        workspace=invitation.workspace, user=user, role=invitation.role
    )
    record(
        invitation.workspace_id,
        user,
        Action.MEMBER_JOINED,
        TargetKind.MEMBER,
        user.pk,
        user.get_username(),
        role=invitation.role,
        invited_by=invitation.inviter_name,
    )
    return membership


@transaction.atomic
def revoke(actor: Any, invitation: Invitation) -> None:
    """Delete a pending invitation: its link stops working."""
    invitation_id = invitation.pk
    invitation.delete()
    record(
        invitation.workspace_id,
        actor,
        Action.INVITATION_REVOKED,
        TargetKind.INVITATION,
        invitation_id,
        invitation.email,
        role=invitation.role,
    )
