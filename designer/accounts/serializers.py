"""How invitations are shown to a workspace's owners."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from designer.accounts.models import Invitation


class InvitationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A pending invitation (never its link: only the invited address received that)."""

    invited_by = serializers.SerializerMethodField(
        help_text="The username of the owner who sent it (blank: the account was deleted)."
    )
    expired = serializers.BooleanField(
        read_only=True, help_text="Whether its link no longer works (invite again to renew it)."
    )

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "invited_by", "created_at", "expires_at", "expired"]

    def get_invited_by(self, invitation: Invitation) -> str:
        user: Any = invitation.invited_by
        return user.get_username() if user is not None else ""
