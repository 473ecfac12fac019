"""A pending invitation into a workspace, for an e-mail address no account has yet; the mails a
user had the server send to others lately."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from designer.workspaces.models import Role, Workspace


class Invitation(models.Model):
    """An owner's invitation mailed to an address; the link's token is stored as a SHA-256 hash.

    Deleted when it is accepted or revoked; an expired one is refused and replaced by a new
    invitation to the same address.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email"], name="one_invitation_per_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.workspace} as {self.role}"

    @property
    def inviter_name(self) -> str:
        """The username of the owner who sent it ("" once that account is deleted)."""
        return self.invited_by.get_username() if self.invited_by is not None else ""

    @property
    def expired(self) -> bool:
        """Whether the link no longer works."""
        return self.expires_at <= timezone.now()


class SentMail(models.Model):
    """A mail a user had the server send to someone (an invitation, an address confirmation, a
    note that they added them): the rows of the last hour bound the next ones (decision 0086).

    Not in the activity log: its entries go with their workspace, and a user deleting the
    workspace they invited from must not get a fresh hour."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["sender", "sent_at"], name="mail_sent_by_sender")]

    def __str__(self) -> str:
        return f"{self.sender_id} at {self.sent_at}"
