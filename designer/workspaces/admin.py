"""Django admin for workspaces, memberships and API tokens."""

from django.contrib import admin

from designer.workspaces.models import ApiToken, Membership, Workspace


class MembershipInline(admin.TabularInline):
    """Members edited inside their workspace."""

    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    """Workspaces with their members."""

    list_display = ["id", "name", "created_by", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Memberships and roles."""

    list_display = ["workspace", "user", "role", "created_at"]
    list_filter = ["role"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens (only their prefix and hash are stored)."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "token_hash", "created_at", "last_used_at"]
