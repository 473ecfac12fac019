"""Django admin for watches and the notices runs sent."""

from django.contrib import admin

from designer.notifications.models import RunNotice, Watch


@admin.register(Watch)
class WatchAdmin(admin.ModelAdmin):
    """Who watches which pipeline."""

    list_display = ["user", "graph", "scope", "recovered", "created_at"]
    list_filter = ["scope", "recovered"]


@admin.register(RunNotice)
class RunNoticeAdmin(admin.ModelAdmin):
    """Each run's notice: how many mails went out, or why none did (read-only)."""

    list_display = ["run", "kind", "recipients", "error", "created_at"]
    readonly_fields = ["run", "kind", "recipients", "error", "created_at"]
