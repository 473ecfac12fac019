"""Django admin for pending invitations."""

from django.contrib import admin

from designer.accounts.models import Invitation


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Pending invitations by address (their links are stored hashed: never shown)."""

    list_display = ["email", "workspace", "role", "invited_by", "created_at", "expires_at"]
    readonly_fields = ["token_hash"]
