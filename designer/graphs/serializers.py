"""API shapes for graphs, versions, diffs and validation results."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from designer.api_errors import IssueSerializer
from designer.engine.types import ParamType, PortType
from designer.graphs.models import Graph, GraphVersion
from designer.graphs.services import etag
from designer.workspaces.serializers import StrictSerializer

# ---- the graph document and module specs, as the OpenAPI schema describes them ----------------
# The engine reads and checks documents (designer/engine/schema.py); these describe the same
# shape for the schema, from which the front end's types are generated (`make types`).

PARAM_VALUE = {
    "oneOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}},
    ],
    "nullable": True,
    "description": 'A JSON value; the string "$name" refers to pipeline parameter `name`.',
}


@extend_schema_field(PARAM_VALUE)
class ParamValueField(serializers.JSONField):
    """One node param value."""


class PositionSerializer(serializers.Serializer):
    """Where a node or comment sits on the canvas."""

    x = serializers.FloatField()
    y = serializers.FloatField()


class PortRefSerializer(serializers.Serializer):
    """One end of a wire."""

    node = serializers.CharField()
    port = serializers.CharField()


class ExecutionSerializer(serializers.Serializer):
    """A node's own limits for its step (else its module's default timeout, and the run's)."""

    timeout = serializers.FloatField(required=False, help_text="Seconds one attempt may take.")
    retries = serializers.IntegerField(required=False, help_text="Retries of a failed attempt.")


class GraphNodeSerializer(serializers.Serializer):
    """A module instance in a graph."""

    id = serializers.CharField()
    module = serializers.CharField(help_text='The module ref, "name@version".')
    params = serializers.DictField(child=ParamValueField())
    position = PositionSerializer()
    label = serializers.CharField(required=False)
    execution = ExecutionSerializer(required=False)


class GraphEdgeSerializer(serializers.Serializer):
    """A wire from an output port to an input port."""

    id = serializers.CharField()
    source = PortRefSerializer()
    target = PortRefSerializer()


class GraphCommentSerializer(serializers.Serializer):
    """A sticky note on the canvas."""

    id = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    position = PositionSerializer()
    width = serializers.FloatField(required=False)
    height = serializers.FloatField(required=False)


class PipelineParameterSerializer(serializers.Serializer):
    """A value set per run, referenced from node params as "$name"."""

    type = serializers.ChoiceField(choices=["int", "float", "bool", "string"])
    default = ParamValueField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class GraphDocumentSerializer(serializers.Serializer):
    """A graph document (schema v1): what is saved, versioned, run, imported and exported."""

    schema_version = serializers.ChoiceField(choices=[1])
    parameters = serializers.DictField(child=PipelineParameterSerializer())
    nodes = GraphNodeSerializer(many=True)
    edges = GraphEdgeSerializer(many=True)
    comments = GraphCommentSerializer(many=True)


@extend_schema_field(GraphDocumentSerializer)
class DocumentField(serializers.JSONField):
    """A graph document (checked by the engine where it is taken in)."""


class PortSpecSerializer(serializers.Serializer):
    """A module's input or output port."""

    name = serializers.CharField()
    type = serializers.ChoiceField(choices=[t.value for t in PortType])
    description = serializers.CharField(allow_blank=True)
    optional = serializers.BooleanField()


class ParamSpecSerializer(serializers.Serializer):
    """A module parameter: its type, default and limits."""

    name = serializers.CharField()
    type = serializers.ChoiceField(choices=[t.value for t in ParamType])
    label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()
    nullable = serializers.BooleanField()
    default = ParamValueField(required=False)
    minimum = serializers.FloatField(required=False)
    maximum = serializers.FloatField(required=False)
    choices = serializers.ListField(child=serializers.CharField(), required=False)
    language = serializers.CharField(required=False)


class EnvironmentSerializer(serializers.Serializer):
    """Where a module's steps run."""

    image = serializers.CharField(allow_null=True)
    requirements = serializers.ListField(child=serializers.CharField())


class ModuleSpecSerializer(serializers.Serializer):
    """A module as the palette and inspector show it (ModuleSpec.to_dict())."""

    ref = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    display_name = serializers.CharField()
    category = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    inputs = PortSpecSerializer(many=True)
    outputs = PortSpecSerializer(many=True)
    params = ParamSpecSerializer(many=True)
    environment = EnvironmentSerializer()
    deterministic = serializers.BooleanField()
    timeout = serializers.FloatField(
        allow_null=True, help_text="Seconds one attempt may take unless its node says otherwise."
    )


# ---- graphs, versions, results --------------------------------------------------------------


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

    draft = DocumentField(read_only=True)
    etag = serializers.SerializerMethodField()
    issues = serializers.SerializerMethodField()

    class Meta(GraphSummarySerializer.Meta):
        fields = [*GraphSummarySerializer.Meta.fields, "draft", "etag", "issues"]

    def get_etag(self, graph: Graph) -> str:
        return etag(graph)

    @extend_schema_field(IssueSerializer(many=True))
    def get_issues(self, graph: Graph) -> list[dict[str, Any]]:
        return self.context.get("issues", [])


class GraphCreateSerializer(StrictSerializer):
    """Body of creating a graph (optionally from a document)."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    document = DocumentField(required=False, help_text="A graph document (schema v1).")


class GraphImportSerializer(StrictSerializer):
    """Body of importing a graph: a document with an optional name and description."""

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    document = DocumentField()


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

    document = DocumentField(read_only=True)

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
    modules = ModuleSpecSerializer(many=True)
