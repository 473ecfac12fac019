"""The text of the mails accounts send: confirm an address, join a workspace, added to one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

from designer.accounts.models import Invitation
from designer.notifications.mail import one_line
from designer.workspaces.models import Membership


def confirmation(user: Any, email: str, link: str) -> EmailMessage:
    """The mail asking the owner of `email` to confirm it as `user`'s address."""
    lines = [
        f"Someone signed in as {user.get_username()} on Pipeline designer asked to use this",
        "address for their account (run notices, invitations into workspaces).",
        "",
        f"To confirm it, open this link while signed in as {user.get_username()}:",
        link,
        "",
        "The link works for 3 days. If this was not you, ignore this mail: nothing changes.",
    ]
    return _message("Confirm your e-mail address on Pipeline designer", lines, email)


def invitation(invitation: Invitation, link: str) -> EmailMessage:
    """The mail inviting an address into a workspace."""
    inviter = invitation.inviter_name or "An owner"
    workspace = one_line(invitation.workspace.name)
    lines = [
        f"{inviter} invited you to the workspace “{workspace}” on Pipeline designer, as"
        f" {invitation.role}.",
        "",
        "To join, open this link; you choose a username and password there (or sign in with",
        "an account you already have):",
        link,
        "",
        f"The link works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC. If you did not",
        "expect this mail, ignore it.",
    ]
    return _message(
        f"{inviter} invited you to “{workspace}” on Pipeline designer", lines, invitation.email
    )


def added(membership: Membership, inviter: Any, link: str) -> EmailMessage:
    """The mail telling an existing account that an owner added it to a workspace."""
    workspace = one_line(membership.workspace.name)
    lines = [
        f"{inviter.get_username()} added you to the workspace “{workspace}” on Pipeline "
        f"designer, as {membership.role}.",
        "",
        f"Open it: {link}",
    ]
    return _message(
        f"{inviter.get_username()} added you to “{workspace}” on Pipeline designer",
        lines,
        membership.user.email,
    )


def _message(subject: str, lines: list[str], to: str) -> EmailMessage:
    return EmailMessage(subject, "\n".join(lines) + "\n", settings.DEFAULT_FROM_EMAIL, [to])
