"""Django admin for endpoints, their versions, keys, calls and schedules."""

from django.contrib import admin

from designer.endpoints.models import (
    Endpoint,
    EndpointKey,
    EndpointVersion,
    Invocation,
    Schedule,
    ScheduleFire,
)


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    """Endpoints with their graph and default version."""

    list_display = ["id", "name", "workspace", "graph", "kind", "enabled", "default_version"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]


@admin.register(EndpointVersion)
class EndpointVersionAdmin(admin.ModelAdmin):
    """Published versions (read-only: they pin graph versions)."""

    list_display = ["endpoint", "number", "graph_version", "created_by", "created_at"]
    readonly_fields = ["endpoint", "number", "graph_version", "interface", "created_at"]


@admin.register(EndpointKey)
class EndpointKeyAdmin(admin.ModelAdmin):
    """Endpoint keys (only their prefix and hash are stored)."""

    list_display = ["name", "workspace", "endpoint", "prefix", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    exclude = ["rate_tat"]  # unused (decision 0031)


@admin.register(Invocation)
class InvocationAdmin(admin.ModelAdmin):
    """Calls and the runs they started."""

    list_display = ["id", "endpoint", "version", "run", "key", "user", "schedule", "created_at"]
    raw_id_fields = ["run"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    """Schedules and their next fire time."""

    list_display = ["id", "endpoint", "cron", "timezone", "missed", "enabled", "next_fire_at"]


@admin.register(ScheduleFire)
class ScheduleFireAdmin(admin.ModelAdmin):
    """Claimed fire times (one row per schedule and time)."""

    list_display = ["schedule", "fire_time", "invocation", "error"]
