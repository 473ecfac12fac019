"""API shapes for graphs, versions, diffs and validation results."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from designer.api_errors import IssueSerializer
from designer.api_schema import component, json_shaped
from designer.engine.types import ParamType, PortType
from designer.graphs.examples import examples
from designer.graphs.models import Graph, GraphVersion
from designer.graphs.services import etag
from designer.workspaces.serializers import JSONValueField, StrictSerializer

# ---- the graph document and module specs, as the OpenAPI schema describes them ----------------
# The graph document's schema is the engine's (designer/engine/schema.py document_schemas, added
# to the components by designer.api_schema): one definition, which the front end's types are
# generated from (`make types`).


@extend_schema_field(component("ParamValue"))
class ParamValueField(JSONValueField):
    """One node param value."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) or (
            isinstance(data, list) and not all(isinstance(v, str) for v in data)
        ):
            raise serializers.ValidationError(
                "Expected text, a number, true/false, null or a list of texts."
            )
        return super().to_internal_value(data)


@extend_schema_field(component("GraphDocument"))
class DocumentField(serializers.JSONField):
    """A graph document as the API answers with it: canonical, every field written."""


@extend_schema_field(component("GraphDocumentInput"))
class DocumentInputField(serializers.JSONField):
    """A graph document as the API takes it (checked by the engine where it is taken in)."""


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
    document = DocumentInputField(required=False, help_text="A graph document (schema v1).")


class GraphImportSerializer(StrictSerializer):
    """An exported graph to import: its document, with an optional name and description (the
    import's other JSON form is a bare graph document, named by ?name=)."""

    name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Blank: the document's own name, else 'Imported graph'.",
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    document = DocumentInputField()


class ExampleSerializer(serializers.Serializer):
    """A shipped example pipeline, offered to start a pipeline from."""

    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    steps = serializers.IntegerField(help_text="How many modules it places on the canvas.")


class FromExampleSerializer(StrictSerializer):
    """Body of creating a graph from a shipped example."""

    example = serializers.ChoiceField(
        choices=sorted(examples()), help_text="The example's slug (GET /api/examples/)."
    )
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Blank: the example's name."
    )


class GraphImportUploadSerializer(StrictSerializer):
    """Multipart body of importing a graph from a file (an export, or a bare document)."""

    file = serializers.FileField(help_text="A JSON file: an exported graph or a graph document.")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)


class GraphExportSerializer(serializers.Serializer):
    """An exported graph: what import takes back, and what the engine's CLI runs."""

    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
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
    parent = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)

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

    plan = json_shaped("CompiledPlan")(allow_null=True)


class DiffSerializer(serializers.Serializer):
    """A structural diff between two sides ("draft" or a version number)."""

    from_ = serializers.CharField()
    to = serializers.CharField()
    nodes = json_shaped("NodesDiff")()
    edges = json_shaped("EdgesDiff")()
    parameters = json_shaped("ParametersDiff")()
    comments = json_shaped("CommentsDiff")()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class ModuleCatalogueSerializer(serializers.Serializer):
    """The palette: module specs (ModuleSpec.to_dict()) and their categories in display order."""

    categories = serializers.ListField(child=serializers.CharField())
    modules = ModuleSpecSerializer(many=True)
