"""API shapes for graphs, versions, diffs and validation results."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from designer.api_errors import IssueSerializer
from designer.graphs.models import Graph, GraphVersion
from designer.graphs.services import etag
from designer.workspaces.serializers import StrictSerializer


class GraphSummarySerializer(serializers.ModelSerializer):
    """A graph in a list (without its document)."""

    latest_version = serializers.SerializerMethodField()
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Graph
        fields = [
            "id",
            "workspace",
            "name",
            "description",
            "draft_revision",
            "latest_version",
            "created_at",
            "updated_at",
            "updated_by",
        ]

    def get_latest_version(self, graph: Graph) -> int | None:
        value = getattr(graph, "latest_number", None)
        if value is None and not hasattr(graph, "latest_number"):
            latest = graph.versions.order_by("-number").first()
            value = latest.number if latest else None
        return value


class GraphSerializer(GraphSummarySerializer):
    """A graph with its draft, the draft's ETag and the draft's validation issues."""

    etag = serializers.SerializerMethodField()
    issues = serializers.SerializerMethodField()

    class Meta(GraphSummarySerializer.Meta):
        fields = [*GraphSummarySerializer.Meta.fields, "draft", "etag", "issues"]

    def get_etag(self, graph: Graph) -> str:
        return etag(graph)

    def get_issues(self, graph: Graph) -> list[dict[str, Any]]:
        return self.context.get("issues", [])


class GraphCreateSerializer(StrictSerializer):
    """Body of creating a graph (optionally from a document)."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    document = serializers.JSONField(required=False, help_text="A graph document (schema v1).")


class GraphImportSerializer(StrictSerializer):
    """Body of importing a graph: a document with an optional name and description."""

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    document = serializers.JSONField()


class GraphUpdateSerializer(StrictSerializer):
    """Body of renaming a graph or changing its description."""

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class DuplicateSerializer(StrictSerializer):
    """Body of duplicating a graph."""

    name = serializers.CharField(max_length=200, required=False)


class DraftSavedSerializer(serializers.Serializer):
    """Answer to a draft save: the new ETag and the draft's validation issues."""

    etag = serializers.CharField()
    draft_revision = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    issues = IssueSerializer(many=True)


class VersionSummarySerializer(serializers.ModelSerializer):
    """A version in the history list."""

    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = GraphVersion
        fields = ["number", "message", "author", "parent", "created_at"]


class VersionSerializer(VersionSummarySerializer):
    """A version with its document."""

    class Meta(VersionSummarySerializer.Meta):
        fields = [*VersionSummarySerializer.Meta.fields, "document"]


class CommitSerializer(StrictSerializer):
    """Body of committing the draft as a version."""

    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ValidationResultSerializer(serializers.Serializer):
    """The engine's verdict on a document."""

    valid = serializers.BooleanField()
    issues = IssueSerializer(many=True)


class CompileResultSerializer(ValidationResultSerializer):
    """The engine's plan for a document (null when it has issues)."""

    plan = serializers.JSONField(allow_null=True)


class DiffSerializer(serializers.Serializer):
    """A structural diff between two sides ("draft" or a version number)."""

    from_ = serializers.CharField()
    to = serializers.CharField()
    nodes = serializers.JSONField()
    edges = serializers.JSONField()
    parameters = serializers.JSONField()
    comments = serializers.JSONField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class ModuleCatalogueSerializer(serializers.Serializer):
    """The palette: module specs (ModuleSpec.to_dict()) and their categories in display order."""

    categories = serializers.ListField(child=serializers.CharField())
    modules = serializers.ListField(child=serializers.JSONField())
