"""Django admin for runs, steps, events, shared plans, inline run records, datasets, dataset
usage and the result cache index."""

from django.contrib import admin
from pydantic_core import to_json

from designer.runs.models import (
    CachedResult,
    CacheHistory,
    Dataset,
    DatasetUsage,
    DatasetVersion,
    Run,
    RunEvent,
    RunRecord,
    SharedPlan,
    StepRun,
)
from designer.runs.packed import unpack


class StepRunInline(admin.TabularInline):
    """A run's steps (read-only: the runner owns them)."""

    model = StepRun
    extra = 0
    can_delete = False
    fields = ["key", "module", "status", "attempts", "reason", "started_at", "finished_at"]
    readonly_fields = fields


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    """Runs with their steps."""

    list_display = [
        "id",
        "workspace",
        "graph_version",
        "status",
        "runner",
        "stored_inline",
        "created_at",
    ]
    list_filter = ["status", "runner", "stored_inline", "workspace"]
    readonly_fields = ["seq", "plan", "stored_inline"]
    exclude = ["inline_plan", "shared_plan"]  # shown as `plan`, whichever row holds it
    inlines = [StepRunInline]


@admin.register(StepRun)
class StepRunAdmin(admin.ModelAdmin):
    """Steps of runs."""

    list_display = ["run", "key", "module", "status", "attempts", "started_at", "finished_at"]
    list_filter = ["status"]


@admin.register(RunEvent)
class RunEventAdmin(admin.ModelAdmin):
    """The append-only run event log (read-only)."""

    list_display = ["run", "seq", "type", "created_at"]
    list_filter = ["type"]
    readonly_fields = ["run", "seq", "type", "data", "created_at"]


@admin.register(RunRecord)
class RunRecordAdmin(admin.ModelAdmin):
    """Runs stored inline: their steps and event log as one row (read-only)."""

    list_display = ["run"]
    fields = readonly_fields = ["run", "step_entries", "event_log"]

    @admin.display(description="steps")
    def step_entries(self, record: RunRecord) -> str:
        return to_json(unpack(record.steps), indent=1).decode()

    @admin.display(description="events")
    def event_log(self, record: RunRecord) -> str:
        return to_json(unpack(record.events), indent=1).decode()


@admin.register(SharedPlan)
class SharedPlanAdmin(admin.ModelAdmin):
    """Compiled plans stored once per workspace and content, which runs point at (read-only)."""

    list_display = ["digest", "workspace"]
    list_filter = ["workspace"]
    readonly_fields = ["digest", "workspace", "plan"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    """Datasets."""

    list_display = ["id", "name", "workspace", "created_at"]
    search_fields = ["name"]


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    """Content-addressed dataset versions."""

    list_display = ["dataset", "digest", "rows", "size", "created_at"]


@admin.register(DatasetUsage)
class DatasetUsageAdmin(admin.ModelAdmin):
    """Which runs read which dataset versions."""

    list_display = ["run", "step", "version"]


@admin.register(CachedResult)
class CachedResultAdmin(admin.ModelAdmin):
    """The result cache index Celery workers share (read-only: the runs own it)."""

    list_display = ["fingerprint", "node", "run_id", "created"]
    search_fields = ["fingerprint", "node", "run_id"]
    readonly_fields = ["fingerprint", "run_id", "node", "outputs", "created"]


@admin.register(CacheHistory)
class CacheHistoryAdmin(admin.ModelAdmin):
    """What each node of each graph last ran or was reused with."""

    list_display = ["scope", "node", "fingerprint", "run_id"]
    search_fields = ["scope", "node"]
    readonly_fields = ["scope", "node", "fingerprint", "material", "run_id"]
