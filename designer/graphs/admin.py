"""Django admin for graphs and their versions."""

from django.contrib import admin

from designer.graphs.models import Graph, GraphVersion, RetiredSharedState


@admin.register(Graph)
class GraphAdmin(admin.ModelAdmin):
    """Graphs with their draft revision."""

    list_display = ["id", "name", "workspace", "draft_revision", "updated_at", "updated_by"]
    list_filter = ["workspace"]
    search_fields = ["name"]


@admin.register(GraphVersion)
class GraphVersionAdmin(admin.ModelAdmin):
    """Immutable versions (read-only in the admin)."""

    list_display = ["graph", "number", "message", "author", "created_at"]
    readonly_fields = ["graph", "number", "document", "message", "author", "parent", "created_at"]


@admin.register(RetiredSharedState)
class RetiredSharedStateAdmin(admin.ModelAdmin):
    """Shared states replaced by a compaction, kept for tabs still on them (read-only)."""

    list_display = ["graph", "generation", "retired_at"]
    readonly_fields = ["graph", "generation", "retired_at"]
    exclude = ["state"]
