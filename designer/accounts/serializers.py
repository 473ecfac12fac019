"""How invitations and two-factor sign-in are shown and asked for."""

from __future__ import annotations

from rest_framework import serializers

from designer.accounts.models import Invitation
from designer.workspaces.serializers import StrictSerializer


class InvitationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A pending invitation (never its link: only the invited address received that)."""

    invited_by = serializers.CharField(
        source="inviter_name",
        read_only=True,
        help_text="The username of the owner who sent it (blank: the account was deleted).",
    )
    expired = serializers.BooleanField(
        read_only=True, help_text="Whether its link no longer works (invite again to renew it)."
    )

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "invited_by", "created_at", "expires_at", "expired"]


class TwoFactorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Whether the user signs in with a code after the password."""

    enabled = serializers.BooleanField(help_text="Two-factor sign-in is on.")
    recovery_codes_left = serializers.IntegerField(
        help_text="Unused recovery codes (each signs in once instead of an app code)."
    )


class EnrolmentSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A new authenticator key to add to an app, not in use until a code from it confirms it."""

    config_url = serializers.CharField(help_text="The otpauth:// URL the QR code holds.")
    secret = serializers.CharField(help_text="The key in base32, to type into an app by hand.")
    qr_svg = serializers.CharField(help_text="The QR code as an SVG image.")


class CodeSerializer(StrictSerializer):
    """Body carrying a code: from the authenticator app (six digits) or a recovery code."""

    code = serializers.CharField(max_length=32, trim_whitespace=True)


class RecoveryCodesSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Recovery codes, shown this once: each signs in once when the app is not at hand."""

    recovery_codes = serializers.ListField(child=serializers.CharField())
