"""REST views for graphs: drafts with ETags, versions, diff, import/export, validate and compile."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Max
from django.http import HttpResponse, QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from designer.api_errors import ApiError, error_responses
from designer.api_schema import component
from designer.graphs import services
from designer.graphs.analysis import (
    compile_document,
    graph_issues,
    module_registry,
    parse_document,
    validation_issues,
)
from designer.graphs.diff import diff_documents
from designer.graphs.draft_issues import draft_issues, remember
from designer.graphs.examples import examples
from designer.graphs.models import Graph, GraphVersion
from designer.graphs.serializers import (
    CommitSerializer,
    CompileResultSerializer,
    DiffSerializer,
    DraftSavedSerializer,
    DuplicateSerializer,
    ExampleSerializer,
    FromExampleSerializer,
    GraphCreateSerializer,
    GraphExportSerializer,
    GraphImportSerializer,
    GraphImportUploadSerializer,
    GraphSerializer,
    GraphSummarySerializer,
    GraphUpdateSerializer,
    ModuleCatalogueSerializer,
    ValidationResultSerializer,
    VersionSerializer,
    VersionSummarySerializer,
)
from designer.workspaces.models import Role
from designer.workspaces.pagination import (
    bool_parameter,
    paginated,
    paginated_response,
    query_bool,
    query_search,
    search_parameter,
)
from designer.workspaces.parsers import LimitedJSONParser, SmallMultiPartParser, load_json
from designer.workspaces.permissions import USER, ScopedAPIView

GRAPHS = Graph.objects.all()
MAX_VERSION = 2**31 - 1  # version numbers are 32-bit integers in every database
DRAFT = {"type": "string", "enum": ["draft"]}
# validate and compile take a document, or nothing (`{}`): then they check the draft
DOCUMENT_OR_DRAFT = {
    "application/json": {
        "oneOf": [component("GraphDocumentInput"), {"type": "object", "maxProperties": 0}],
        "description": "A graph document; an empty body or `{}` means the graph's draft.",
    }
}


class GraphView(ScopedAPIView):
    """Base of the views that act on one graph (JSON bodies)."""

    parser_classes = [LimitedJSONParser]

    def graph(self, pk: int) -> Graph:
        """The graph, with the method's policy checked against its workspace."""
        return self.scoped_object(GRAPHS, pk, "Graph")


def graph_response(graph: Graph, code: int = status.HTTP_200_OK) -> Response:
    issues = draft_issues(graph)
    response = Response(GraphSerializer(graph, context={"issues": issues}).data, status=code)
    response["ETag"] = services.etag(graph)
    return response


def _version(graph: Graph, number: int) -> GraphVersion:
    version = graph.versions.filter(number=number).first()
    if version is None:
        raise ApiError(404, "not_found", f"Graph {graph.pk} has no version {number}.")
    return version


def _side(graph: Graph, side: str | None, name: str) -> dict[str, Any]:
    if not side:
        raise ApiError(400, "invalid", f"?{name}= is required: a version number or 'draft'.")
    if side == "draft":
        return graph.draft
    if not side.isdigit() or not 1 <= int(side) <= MAX_VERSION:
        raise ApiError(
            400,
            "invalid",
            f"?{name}={side!r} is neither a version number (1 to {MAX_VERSION}) nor 'draft'.",
            [{"code": "invalid", "message": "Expected a number or 'draft'.", "field": name}],
        )
    return _version(graph, int(side)).document


def _side_parameter(name: str, required: bool) -> OpenApiParameter:
    """A query parameter naming a side: a version number or "draft"."""
    return OpenApiParameter(
        name,
        {"oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_VERSION}, DRAFT]},
        required=required,
        description="A version number or 'draft'." + ("" if required else " Default: 'draft'."),
    )


def _means_draft(request: Request) -> bool:
    """Whether the body is empty (or `{}`): then validate and compile check the draft."""
    return bool(request.data == {})


def _posted_or_draft(request: Request, graph: Graph) -> Any:
    """The posted document; the draft when the body is empty (or `{}`)."""
    return graph.draft if _means_draft(request) else request.data


class ModuleCatalogueView(ScopedAPIView):
    """The module palette: every registered module spec, with categories."""

    policy = {"GET": USER}

    @extend_schema(responses=ModuleCatalogueSerializer, operation_id="modules_list")
    def get(self, request: Request) -> Response:
        specs = [spec.to_dict() for spec in module_registry()]
        categories = list(dict.fromkeys(s["category"] for s in specs))
        return Response({"categories": categories, "modules": specs})


class ExampleListView(ScopedAPIView):
    """The example pipelines shipped with the designer, to start a pipeline from."""

    policy = {"GET": USER}

    @extend_schema(responses=ExampleSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ExampleSerializer(examples().values(), many=True).data)


class FromExampleView(GraphView):
    """Create a pipeline holding a shipped example (its first version committed); editors."""

    policy = {"POST": Role.EDITOR}

    @extend_schema(request=FromExampleSerializer, responses={201: GraphSerializer})
    def post(self, request: Request, pk: int) -> Response:
        membership = self.authorize(pk, "Workspace", pk)
        body = FromExampleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        example = examples()[body.validated_data["example"]]
        name = body.validated_data.get("name") or example.name
        graph = services.create_from_example(membership.workspace, request.user, example, name)
        return graph_response(graph, status.HTTP_201_CREATED)


class GraphListView(GraphView):
    """A workspace's graphs; editors create new ones."""

    policy = {"GET": Role.VIEWER, "POST": Role.EDITOR}

    @extend_schema(
        parameters=[search_parameter("Only the graphs whose name or description contains it.")],
        responses=paginated(GraphSummarySerializer),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.authorize(pk, "Workspace", pk)
        graphs = query_search(request, Graph.objects.filter(workspace_id=pk), "name", "description")
        qs = (
            graphs.select_related("updated_by")
            .annotate(latest_number=Max("versions__number"))
            .order_by("-updated_at", "-id")
        )
        return paginated_response(self, qs, GraphSummarySerializer)

    @extend_schema(request=GraphCreateSerializer, responses={201: GraphSerializer})
    def post(self, request: Request, pk: int) -> Response:
        membership = self.authorize(pk, "Workspace", pk)
        body = GraphCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        graph = services.create_graph(membership.workspace, request.user, **body.validated_data)
        return graph_response(graph, status.HTTP_201_CREATED)


class GraphImportView(GraphView):
    """Import a graph: a JSON document (or {name, description, document}), or a multipart `file`."""

    policy = {"POST": Role.EDITOR}
    parser_classes = [LimitedJSONParser, SmallMultiPartParser]

    def _from_upload(self, request: Request) -> dict[str, Any]:
        upload = request.data["file"]
        try:
            document = load_json(upload.read(), upload.name)
        except ParseError as exc:
            raise ApiError(400, "invalid_json", str(exc.detail)) from exc
        exported = document if isinstance(document, dict) and "document" in document else {}
        name = request.data.get("name") or exported.get("name") or upload.name.rsplit(".", 1)[0]
        return {
            "name": name,
            "description": request.data.get("description") or exported.get("description", ""),
            "document": exported.get("document", document),
        }

    @extend_schema(
        request={
            # an exported graph ({name, description, document}), or a bare graph document
            "application/json": (GraphImportSerializer, component("GraphDocumentInput")),
            "multipart/form-data": GraphImportUploadSerializer,
        },
        parameters=[
            OpenApiParameter(
                "name",
                str,
                required=False,
                description="The name of a bare document's graph (absent or blank: "
                "'Imported graph'); an exported graph carries its own.",
            )
        ],
        responses={201: GraphSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        membership = self.authorize(pk, "Workspace", pk)
        if "file" in request.FILES:
            data = self._from_upload(request)
        elif isinstance(request.data, QueryDict):
            raise ApiError(
                400,
                "invalid",
                "A multipart import needs a `file` (a graph document or an exported graph).",
                [{"code": "required", "message": "This field is required.", "field": "file"}],
            )
        elif isinstance(request.data, dict) and "document" in request.data:
            data = request.data
        else:
            data = {"name": request.query_params.get("name", ""), "document": request.data}
        body = GraphImportSerializer(data=data)
        body.is_valid(raise_exception=True)
        values = {**body.validated_data}
        values["name"] = values.get("name") or "Imported graph"  # absent or blank
        graph = services.create_graph(membership.workspace, request.user, **values)
        return graph_response(graph, status.HTTP_201_CREATED)


class GraphDetailView(GraphView):
    """One graph with its draft and ETag; editors rename or delete it."""

    policy = {"GET": Role.VIEWER, "PATCH": Role.EDITOR, "DELETE": Role.EDITOR}

    @extend_schema(responses=GraphSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return graph_response(self.graph(pk))

    @extend_schema(request=GraphUpdateSerializer, responses=GraphSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        graph = self.graph(pk)
        body = GraphUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return graph_response(services.update_graph(graph, request.user, **body.validated_data))

    @extend_schema(
        parameters=[bool_parameter("with_runs", "Delete the graph's runs too.")],
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        with_runs = query_bool(request, "with_runs")
        services.delete_graph(self.graph(pk), request.user, with_runs=with_runs)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DraftView(GraphView):
    """Save the draft: the body is the whole document; If-Match must carry the current ETag."""

    policy = {"PUT": Role.EDITOR}

    @extend_schema(
        request={"application/json": component("GraphDocumentInput")},
        responses={200: DraftSavedSerializer, **error_responses(412, 428)},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=True)],
    )
    def put(self, request: Request, pk: int) -> Response:
        self.graph(pk)
        document = parse_document(request.data)  # 400 when malformed; validated once, below
        graph = services.save_draft(pk, request.user, document, request.headers.get("If-Match"))
        issues = graph_issues(document)
        remember(graph, issues)  # a reader of this draft gets them without validating it again
        body = {
            "etag": services.etag(graph),
            "draft_revision": graph.draft_revision,
            "updated_at": graph.updated_at,
            "issues": issues,
        }
        response = Response(DraftSavedSerializer(body).data)
        response["ETag"] = body["etag"]
        return response


class DuplicateView(GraphView):
    """Copy a graph's draft into a new graph."""

    policy = {"POST": Role.EDITOR}

    @extend_schema(request=DuplicateSerializer, responses={201: GraphSerializer})
    def post(self, request: Request, pk: int) -> Response:
        graph = self.graph(pk)
        body = DuplicateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        copy = services.duplicate_graph(graph, request.user, body.validated_data.get("name"))
        return graph_response(copy, status.HTTP_201_CREATED)


class ExportView(GraphView):
    """Download the draft (or ?version=n) as a JSON file {name, description, document}: what
    import takes back, and what the engine's CLI runs."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(
        parameters=[_side_parameter("version", required=False)],
        responses={(200, "application/json"): GraphExportSerializer},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        graph = self.graph(pk)
        side = request.query_params.get("version", "draft")
        exported = {
            "name": graph.name,
            "description": graph.description,
            "document": _side(graph, side, "version"),
        }
        response = HttpResponse(json.dumps(exported, indent=2), content_type="application/json")
        filename = "".join(c if c.isalnum() or c in "-_" else "_" for c in graph.name) or "graph"
        response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
        return response


class VersionListView(GraphView):
    """A graph's history; editors commit the draft as a new version."""

    policy = {"GET": Role.VIEWER, "POST": Role.EDITOR}

    @extend_schema(responses=paginated(VersionSummarySerializer), operation_id="versions_list")
    def get(self, request: Request, pk: int) -> Response:
        graph = self.graph(pk)
        qs = graph.versions.select_related("author", "parent").order_by("-number")
        return paginated_response(self, qs, VersionSummarySerializer)

    @extend_schema(
        request=CommitSerializer, responses={201: VersionSerializer, **error_responses(409)}
    )
    def post(self, request: Request, pk: int) -> Response:
        self.graph(pk)
        body = CommitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = services.commit_version(
            pk, request.user, body.validated_data["message"], only_if_changed=False
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class VersionDetailView(GraphView):
    """One immutable version with its document."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(responses=VersionSerializer)
    def get(self, request: Request, pk: int, number: int) -> Response:
        return Response(VersionSerializer(_version(self.graph(pk), number)).data)


class RestoreView(GraphView):
    """Make a version's document the draft again."""

    policy = {"POST": Role.EDITOR}

    @extend_schema(request=None, responses=GraphSerializer)
    def post(self, request: Request, pk: int, number: int) -> Response:
        self.graph(pk)
        return graph_response(services.restore_version(pk, request.user, number))


class DiffView(GraphView):
    """Structural diff between two sides: version numbers or "draft"."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(
        parameters=[_side_parameter("from", required=True), _side_parameter("to", required=True)],
        responses=DiffSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        graph = self.graph(pk)
        a, b = request.query_params.get("from"), request.query_params.get("to")
        diff = diff_documents(_side(graph, a, "from"), _side(graph, b, "to"))
        return Response({"from": a, "to": b, **diff})


class ValidateView(GraphView):
    """The engine's issues for a posted document, or for the draft when the body is empty."""

    policy = {"POST": Role.VIEWER}

    @extend_schema(request=DOCUMENT_OR_DRAFT, responses=ValidationResultSerializer)
    def post(self, request: Request, pk: int) -> Response:
        graph = self.graph(pk)
        issues = draft_issues(graph) if _means_draft(request) else validation_issues(request.data)
        return Response({"valid": not issues, "issues": issues})


class CompileView(GraphView):
    """The engine's execution plan for a posted document, or for the draft."""

    policy = {"POST": Role.VIEWER}

    @extend_schema(request=DOCUMENT_OR_DRAFT, responses=CompileResultSerializer)
    def post(self, request: Request, pk: int) -> Response:
        graph = self.graph(pk)
        issues, plan = compile_document(_posted_or_draft(request, graph))
        return Response({"valid": not issues, "issues": issues, "plan": plan})
