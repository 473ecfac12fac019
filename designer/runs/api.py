"""REST views for runs (start, list, detail, cancel, resume, logs, outputs) and datasets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from designer.api_errors import ApiError, error_responses
from designer.api_schema import component
from designer.engine.artifacts import MAX_JSON_BYTES
from designer.engine.datasets import DatasetNotFound
from designer.engine.store import ArtifactError
from designer.graphs.api import graph_response
from designer.graphs.models import Graph
from designer.graphs.serializers import GraphSerializer
from designer.runs import (
    dataset_services,
    engine_setup,
    inference,
    logs,
    records,
    room,
    services,
    sweeps,
)
from designer.runs.compare import compare_runs
from designer.runs.metrics import RunMetrics
from designer.runs.models import Dataset, DatasetUsage, Run, RunStatus, StepRun
from designer.runs.plans import node_columns, preview_plan, stored_plan
from designer.runs.preview import (
    MAX_COLUMNS,
    MAX_LIMIT,
    csv_chunks,
    json_with_stored_value,
    table_page,
)
from designer.runs.retention import workspace_storage
from designer.runs.serializers import (
    CompareSerializer,
    DatasetSerializer,
    DatasetUploadedSerializer,
    DatasetUploadSerializer,
    DatasetUsageSerializer,
    DatasetVersionSerializer,
    InferenceGraphSerializer,
    LogSerializer,
    NodeColumnsSerializer,
    OutputPreviewSerializer,
    PlanSerializer,
    ResumeSerializer,
    RunMetricsSerializer,
    RunSerializer,
    RunSummarySerializer,
    RunUpdateSerializer,
    StartRunSerializer,
    StartSweepSerializer,
    StorageSerializer,
    SweepSerializer,
    TablePageSerializer,
)
from designer.sizes import size_text
from designer.workspaces.converters import IdConverter
from designer.workspaces.models import Role
from designer.workspaces.pagination import (
    MAX_OFFSET,
    bool_parameter,
    int_parameter,
    paginated,
    paginated_response,
    query_bool,
    query_int,
    query_search,
    search_parameter,
)
from designer.workspaces.parsers import LimitedJSONParser, LimitedMultiPartParser
from designer.workspaces.permissions import ScopedAPIView

# the answers show none of the big JSON columns: leave them unread (loaded if ever accessed)
RUNS = Run.objects.select_related("graph_version__graph", "created_by").defer(
    "inline_plan", "graph_version__document", "graph_version__graph__draft"
)
EXTENSIONS = {"parquet": "parquet", "json": "json", "pickle": "pickle"}
LOG_PAGE = 10_000  # log lines per page
PAGE_PARAMS = [
    int_parameter("offset", 0, MAX_OFFSET, "Rows to skip."),
    int_parameter("limit", 1, MAX_LIMIT, "Rows to return."),
]
TABLE_PAGE_PARAMS = [
    *PAGE_PARAMS,
    int_parameter("columns_offset", 0, MAX_OFFSET, "Columns to skip (a pandas index is not one)."),
    int_parameter("columns_limit", 1, MAX_COLUMNS, f"Columns to return; {MAX_COLUMNS} by default."),
]
DOWNLOADS = ["csv", "parquet", "json", "pickle", "joblib", "bin"]
STATUS_PARAMETER = OpenApiParameter(
    "status", str, required=False, enum=RunStatus.values, description="Only runs in this state."
)
ORIGINS = {"direct": "started from the editor or the API", "endpoint": "started by endpoint calls"}


class RunsView(ScopedAPIView):
    """Base of the run views (JSON bodies)."""

    parser_classes = [LimitedJSONParser]

    def run(self, pk: int) -> Run:
        """The run, with the method's policy checked against its workspace."""
        return self.scoped_object(RUNS, pk, "Run")

    def step(self, pk: int, key: str) -> tuple[Run, StepRun]:
        """A run and one of its steps (404 naming the step when it has none)."""
        run = self.run(pk)
        step = records.find_step(run, key)
        if step is None:
            raise ApiError(404, "not_found", f"Run {pk} has no step {key!r}.")
        return run, step


def _filtered(request: Request, runs: Any) -> Any:
    wanted = request.query_params.get("status")
    if wanted is not None:
        if wanted not in RunStatus.values:
            raise ApiError(400, "invalid", f"?status={wanted!r} is not one of {RunStatus.values}.")
        runs = runs.filter(status=wanted)
    return runs


class GraphRunsView(RunsView):
    """A graph's runs; editors start new ones."""

    policy = {"GET": Role.VIEWER, "POST": Role.EDITOR}

    @extend_schema(parameters=[STATUS_PARAMETER], responses=paginated(RunSummarySerializer))
    def get(self, request: Request, pk: int) -> Response:
        self.scoped_object(Graph.objects.all(), pk, "Graph")
        runs = _filtered(request, RUNS.filter(graph_version__graph_id=pk))
        return paginated_response(self, runs, RunSummarySerializer)

    @extend_schema(
        request=StartRunSerializer, responses={201: RunSerializer, **error_responses(409, 507)}
    )
    def post(self, request: Request, pk: int) -> Response:
        # its key and workspace only: the draft is read only if changed
        graph = self.scoped_fields(Graph, pk, "Graph", ["id", "workspace"])
        body = StartRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = services.start_run(graph, request.user, **body.validated_data)
        if run.status not in services.FINAL_RUN:  # queued: its answer is read back as saved
            run = RUNS.get(pk=run.pk)
        # else it was finished in this request (every step reused) and is answered as saved
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class GraphSweepsView(RunsView):
    """Start a parameter sweep: one run per combination of pipeline parameter values."""

    policy = {"POST": Role.EDITOR}

    @extend_schema(request=StartSweepSerializer, responses={201: SweepSerializer})
    def post(self, request: Request, pk: int) -> Response:
        graph = self.scoped_object(Graph.objects.all(), pk, "Graph")
        body = StartSweepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        started = sweeps.start_sweep(graph, request.user, **body.validated_data)
        runs = RUNS.filter(pk__in=[run.pk for run in started]).order_by("id")
        return Response(SweepSerializer({"runs": runs}).data, status=status.HTTP_201_CREATED)


class GraphMetricsView(RunsView):
    """A graph's succeeded runs, newest first, each with the metrics its evaluating steps
    (Evaluate model, Cross-validate, Evaluate recommender) reported."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(responses=paginated(RunMetricsSerializer))
    def get(self, request: Request, pk: int) -> Response:
        self.scoped_object(Graph.objects.all(), pk, "Graph")
        runs = (
            Run.objects.select_related("graph_version__graph", "created_by")
            .defer("inline_plan", "graph_version__graph__draft")
            .prefetch_related("steps")
            .filter(graph_version__graph_id=pk, status=RunStatus.SUCCEEDED)
            .order_by("-created_at", "-id")
        )
        return paginated_response(self, runs, RunMetricsSerializer, metrics=RunMetrics())


RUN_ID = IdConverter.regex  # an id a 64-bit column holds


class WorkspaceRunsView(RunsView):
    """A workspace's runs, filtered by ?graph=, ?status=, ?q= (the pipeline's name), ?user= (who
    started them) and ?origin= (directly or by an endpoint call)."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(
        parameters=[
            int_parameter("graph", 1, MAX_OFFSET, "Only runs of this graph."),
            STATUS_PARAMETER,
            search_parameter("Only the runs of the graphs whose name contains it."),
            int_parameter("user", 1, MAX_OFFSET, "Only runs this user started."),
            OpenApiParameter(
                "origin",
                str,
                required=False,
                enum=list(ORIGINS),
                description="Only runs " + " or ".join(f"{k}: {v}" for k, v in ORIGINS.items()),
            ),
            OpenApiParameter(
                "ids",
                {"type": "string", "pattern": f"^{RUN_ID}(,{RUN_ID}){{0,99}}$"},  # type: ignore[arg-type]
                required=False,
                description="Only these runs: up to 100 ids, comma-separated.",
            ),
        ],
        responses=paginated(RunSummarySerializer),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.authorize(pk, "Workspace", pk)
        runs = _filtered(request, RUNS.filter(workspace_id=pk))
        runs = query_search(request, runs, "graph_version__graph__name")
        if "graph" in request.query_params:
            graph = query_int(request, "graph", 0, 1, MAX_OFFSET)
            runs = runs.filter(graph_version__graph_id=graph)
        if "user" in request.query_params:
            runs = runs.filter(created_by_id=query_int(request, "user", 0, 1, MAX_OFFSET))
        origin = request.query_params.get("origin")
        if origin is not None:
            if origin not in ORIGINS:
                raise ApiError(400, "invalid", f"?origin={origin!r} is not one of {list(ORIGINS)}.")
            runs = runs.filter(origin={}) if origin == "direct" else runs.exclude(origin={})
        if "ids" in request.query_params:
            ids = request.query_params["ids"].split(",")
            if len(ids) > 100 or not all(re.fullmatch(RUN_ID, i) for i in ids):
                raise ApiError(
                    400,
                    "invalid",
                    "?ids= takes up to 100 run ids (1 to 18 digits), comma-separated.",
                )
            runs = runs.filter(pk__in=[int(i) for i in ids])
        return paginated_response(self, runs, RunSummarySerializer)


class WorkspaceStorageView(RunsView):
    """How much storage a workspace uses: its runs' artifacts (each once), logs and datasets."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(responses=StorageSerializer)
    def get(self, request: Request, pk: int) -> Response:
        self.authorize(pk, "Workspace", pk)
        storage = workspace_storage(pk)
        room.measured(pk, storage["total_bytes"])
        return Response({**storage, "quota_bytes": room.quota()})


class RunDetailView(RunsView):
    """One run with its steps and the runs its steps reused; editors pin or delete it."""

    policy = {"GET": Role.VIEWER, "PATCH": Role.EDITOR, "DELETE": Role.EDITOR}

    @extend_schema(responses=RunSerializer)
    def get(self, request: Request, pk: int) -> Response:
        run = self.run(pk)
        return Response(RunSerializer(run).data)

    @extend_schema(request=RunUpdateSerializer, responses=RunSummarySerializer)
    def patch(self, request: Request, pk: int) -> Response:
        run = self.run(pk)
        body = RunUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.pin_run(run, body.validated_data["pinned"])
        return Response(RunSummarySerializer(run).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.delete_run(self.run(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RunPlanView(RunsView):
    """The plan a run executed, step by step, with what each step did."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(responses=PlanSerializer)
    def get(self, request: Request, pk: int) -> Response:
        run = self.run(pk)
        run = Run.objects.select_related("graph_version").get(pk=run.pk)
        return Response(stored_plan(run))


class RunCompareView(RunsView):
    """Two runs of one graph step by step: what changed and why, and the metric deltas."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(responses=CompareSerializer)
    def get(self, request: Request, pk: int, other: int) -> Response:
        first, second = self.run(pk), self.run(other)
        if first.graph_version.graph_id != second.graph_version.graph_id:
            raise ApiError(
                400,
                "different_graphs",
                f"Runs {pk} and {other} belong to different graphs; compare runs of one graph.",
            )
        runs = Run.objects.select_related("graph_version__graph", "created_by")
        return Response(compare_runs(runs.get(pk=first.pk), runs.get(pk=second.pk)))


class ColumnsView(RunsView):
    """The columns of every node's table outputs that are known before running anything (the
    body is the graph document; null where only running the upstream will tell)."""

    policy = {"POST": Role.VIEWER}

    @extend_schema(
        request={"application/json": component("GraphDocumentInput")},
        responses=NodeColumnsSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        graph = self.scoped_object(Graph.objects.all(), pk, "Graph")
        return Response(NodeColumnsSerializer({"nodes": node_columns(graph, request.data)}).data)


class PlanPreviewView(RunsView):
    """What a run would do if started now: each step reused (from which run), run (why), or
    decided after the steps it waits for. Nothing is saved."""

    policy = {"POST": Role.VIEWER}

    @extend_schema(request=StartRunSerializer, responses=PlanSerializer)
    def post(self, request: Request, pk: int) -> Response:
        graph = self.scoped_object(Graph.objects.all(), pk, "Graph")
        body = StartRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        version = data.get("version")
        document = (
            graph.draft if version is None else services.graph_version(graph, version).document
        )
        return Response(
            preview_plan(
                graph,
                document,
                parameters=data["parameters"],
                bypass_cache=data["bypass_cache"],
                from_node=data.get("from_node"),
                only_node=data.get("only_node"),
            )
        )


class CancelView(RunsView):
    """Cancel a queued or running run."""

    policy = {"POST": Role.EDITOR}

    @extend_schema(request=None, responses={200: RunSerializer, **error_responses(409)})
    def post(self, request: Request, pk: int) -> Response:
        run = services.cancel_run(self.run(pk))
        return Response(RunSerializer(run).data)


class ResumeView(RunsView):
    """Edit and resume: re-run from a (failed) step with changed params, reusing the rest."""

    policy = {"POST": Role.EDITOR}

    @extend_schema(request=ResumeSerializer, responses={201: RunSerializer})
    def post(self, request: Request, pk: int) -> Response:
        run = self.run(pk)
        body = ResumeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new = services.resume_run(
            run, request.user, body.validated_data.get("from_node"), body.validated_data["params"]
        )
        return Response(RunSerializer(RUNS.get(pk=new.pk)).data, status=status.HTTP_201_CREATED)


class InferenceGraphView(RunsView):
    """Derive a real-time inference graph from a succeeded run: a new graph of the workspace."""

    policy = {"POST": Role.EDITOR}

    @extend_schema(request=InferenceGraphSerializer, responses={201: GraphSerializer})
    def post(self, request: Request, pk: int) -> Response:
        run = self.run(pk)
        body = InferenceGraphSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        graph = inference.create_inference_graph(run, request.user, **body.validated_data)
        return graph_response(graph, status.HTTP_201_CREATED)


class StepLogView(RunsView):
    """A page of one attempt's log lines (default: the last attempt), or ?download=1 for all
    of the step's attempts as text."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(
        parameters=[
            int_parameter("attempt", 0, 2**31, "The attempt (default: the last one logged)."),
            int_parameter("offset", 0, MAX_OFFSET, "Lines to skip."),
            int_parameter("limit", 1, LOG_PAGE, "Lines to return."),
            bool_parameter("download", "All attempts' logs as one text file."),
        ],
        responses={
            (200, "application/json"): LogSerializer,
            (200, "text/plain"): OpenApiTypes.STR,
        },
    )
    def get(self, request: Request, pk: int, key: str) -> Any:
        run, step = self.step(pk, key)
        attempts = {int(e["attempt"]): e for e in step.history}
        if query_bool(request, "download"):
            return self.download(run, step, attempts)
        last = max((n for n, e in attempts.items() if e["lines"]), default=step.attempts)
        number = query_int(request, "attempt", last, 0, 2**31)
        entry = attempts.get(number, {"lines": 0, "bytes": 0})
        offset = query_int(request, "offset", 0, 0, 2**62)
        limit = query_int(request, "limit", LOG_PAGE, 1, LOG_PAGE)
        legacy = logs.legacy_path(run.pk, step.key, number)
        store = engine_setup.log_store()
        lines = logs.read_lines(store, entry, legacy, offset, limit)
        return Response(
            {
                "step": step.key,
                "attempt": number,
                "attempts": step.attempt_list(),
                "offset": offset,
                "total": int(entry["lines"]),
                "lines": [{"stream": stream, "text": text} for stream, text in lines],
                "text": "".join(
                    f"{text}\n" if stream == "log" else f"[{stream}] {text}\n"
                    for stream, text in lines
                ),
            }
        )

    def download(self, run: Run, step: StepRun, attempts: dict[int, dict[str, Any]]) -> Any:
        logged = [
            (number, entry, logs.legacy_path(run.pk, step.key, number))
            for number, entry in sorted(attempts.items())
            if entry["bytes"]
        ]
        store = engine_setup.log_store()
        if not logged:
            raise ApiError(404, "not_found", f"Step {step.key!r} of run {run.pk} has no log yet.")

        def chunks() -> Iterator[bytes]:
            for number, entry, path in logged:
                if len(logged) > 1 and number:
                    yield f"=== attempt {number} ({entry['status']}) ===\n".encode()
                yield from logs.read_all(store, entry, path)

        response = StreamingHttpResponse(chunks(), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="run{run.pk}-{step.key}.log"'
        return response


def _page_query(request: Request) -> dict[str, int]:
    """A table page's rows and columns from the query (TABLE_PAGE_PARAMS)."""
    return {
        "offset": query_int(request, "offset", 0, 0, MAX_OFFSET),
        "limit": query_int(request, "limit", 50, 1, MAX_LIMIT),
        "first_column": query_int(request, "columns_offset", 0, 0, MAX_OFFSET),
        "column_limit": query_int(request, "columns_limit", MAX_COLUMNS, 1, MAX_COLUMNS),
    }


def _output(run: Run, step: StepRun, port: str) -> tuple[dict[str, Any], Path]:
    info = step.outputs.get(port)
    if info is None:
        raise ApiError(
            404, "not_found", f"Step {step.key!r} of run {run.pk} has no output {port!r} (yet)."
        )
    return info, _stored(info["digest"], f"The artifact of {step.key}.{port}")


def _stored(digest: str, what: str) -> Path:
    """A file on this host with a stored artifact's bytes (fetched from an object store)."""
    try:
        return engine_setup.artifact_store().local_path(digest)
    except ArtifactError as exc:
        raise ApiError(410, "gone", f"{what} is not stored: {exc}") from exc


class OutputPreviewView(RunsView):
    """A preview of one output: a page of rows and the column summary, or a JSON value."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(
        parameters=TABLE_PAGE_PARAMS,
        responses={200: OutputPreviewSerializer, **error_responses(410, 422)},
    )
    def get(self, request: Request, pk: int, key: str, port: str) -> HttpResponseBase:
        run, step = self.step(pk, key)
        info, path = _output(run, step, port)
        body: dict[str, Any] = {
            "step": key,
            "port": port,
            "kind": info["kind"],
            "digest": info["digest"],
            "summary": info.get("summary", {}),
        }
        if info["kind"] == "parquet":
            body["table"] = table_page(path, summary=body["summary"], **_page_query(request))
        elif info["kind"] == "json":
            if info["size"] > MAX_JSON_BYTES:  # stored before JSON outputs had that bound
                raise ApiError(
                    422,
                    "too_large_to_preview",
                    f"{key}.{port} is {size_text(info['size'])} of JSON; a preview shows JSON "
                    f"outputs of up to {size_text(MAX_JSON_BYTES)}: download it instead.",
                )
            answer = json_with_stored_value(body, path)  # sent as stored, never parsed here
            return StreamingHttpResponse(answer, content_type="application/json")
        return Response(body)


class OutputDownloadView(RunsView):
    """Download one output: its stored bytes, a table as CSV (?as=csv), or a trained model as a
    plain scikit-learn object (?as=joblib, loadable with joblib without this package). (`as`:
    DRF keeps `format` for its own content negotiation.)"""

    policy = {"GET": Role.VIEWER}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as",
                str,
                required=False,
                enum=DOWNLOADS,
                description="csv or parquet (tables), joblib (models); default: as stored.",
            )
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            (200, "application/json"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            **error_responses(410),
        },
    )
    def get(self, request: Request, pk: int, key: str, port: str) -> Any:
        run, step = self.step(pk, key)
        info, path = _output(run, step, port)
        wanted = request.query_params.get("as", EXTENSIONS.get(info["kind"], "bin"))
        name = f"run{run.pk}-{key}-{port}"
        if wanted == "csv" and info["kind"] == "parquet":
            response = StreamingHttpResponse(csv_chunks(path), content_type="text/csv")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            return response
        if wanted == "joblib":
            export = (info.get("summary") or {}).get("export")
            if not export:
                raise ApiError(
                    404,
                    "not_found",
                    f"{key}.{port} has no scikit-learn export (run the step again to make one).",
                )
            path = _stored(export["digest"], f"The export of {key}.{port}")
            return FileResponse(path.open("rb"), as_attachment=True, filename=f"{name}.joblib")
        if wanted != EXTENSIONS.get(info["kind"], "bin"):
            raise ApiError(
                400, "invalid", f"{key}.{port} ({info['kind']}) has no {wanted!r} download."
            )
        return FileResponse(path.open("rb"), as_attachment=True, filename=f"{name}.{wanted}")


class DatasetsView(ScopedAPIView):
    """Base of the dataset views."""

    parser_classes = [LimitedJSONParser]

    def dataset(self, pk: int) -> Dataset:
        """The dataset, with the method's policy checked against its workspace."""
        return self.scoped_object(Dataset.objects.all(), pk, "Dataset")

    def version(self, pk: int, digest: str) -> tuple[Dataset, Any]:
        """A dataset and one of its versions (a unique digest prefix of 8+ characters works)."""
        dataset = self.dataset(pk)
        matches = (
            list(dataset.versions.filter(digest__startswith=digest)[:2]) if len(digest) >= 8 else []
        )
        if len(matches) != 1:
            raise ApiError(404, "not_found", f"Dataset {pk} has no version {digest!r}.")
        return dataset, matches[0]


class DatasetListView(DatasetsView):
    """A workspace's datasets; editors upload CSV or Parquet files as new versions."""

    policy = {"GET": Role.VIEWER, "POST": Role.EDITOR}
    parser_classes = [LimitedMultiPartParser, LimitedJSONParser]

    @extend_schema(
        parameters=[
            bool_parameter("archived", "List archived datasets instead."),
            search_parameter("Only the datasets whose name or description contains it."),
        ],
        responses=paginated(DatasetSerializer),
    )
    def get(self, request: Request, pk: int) -> Response:
        self.authorize(pk, "Workspace", pk)
        dataset_services.sync_from_store(pk)
        archived = query_bool(request, "archived")
        datasets = query_search(
            request,
            Dataset.objects.filter(workspace_id=pk, archived=archived),
            "name",
            "description",
        ).order_by("name")
        return paginated_response(self, datasets, DatasetSerializer)

    @extend_schema(
        request={"multipart/form-data": DatasetUploadSerializer},
        responses={201: DatasetUploadedSerializer, **error_responses(409, 413, 507)},
    )
    def post(self, request: Request, pk: int) -> Response:
        membership = self.authorize(pk, "Workspace", pk)
        body = DatasetUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        version, dialect = dataset_services.upload(
            membership.workspace,
            request.user,
            data["name"],
            data["file"],
            data["description"],
            encoding=data["encoding"],
            separator=data["separator"],
            decimal=data["decimal"],
        )
        answer = DatasetUploadedSerializer(version, context={"dialect": dialect})
        return Response(answer.data, status=status.HTTP_201_CREATED)


class DatasetDetailView(DatasetsView):
    """One dataset; editors delete it with its versions."""

    policy = {"GET": Role.VIEWER, "DELETE": Role.EDITOR}

    @extend_schema(responses=DatasetSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(DatasetSerializer(self.dataset(pk)).data)

    @extend_schema(
        parameters=[bool_parameter("archive", "Archive instead of deleting.")],
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        archive = query_bool(request, "archive")
        dataset_services.delete_dataset(self.dataset(pk), request.user, archive=archive)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DatasetVersionsView(DatasetsView):
    """A dataset's versions, newest first."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(responses=paginated(DatasetVersionSerializer))
    def get(self, request: Request, pk: int) -> Response:
        versions = (
            self.dataset(pk).versions.select_related("created_by").order_by("-created_at", "-id")
        )
        return paginated_response(self, versions, DatasetVersionSerializer)


class DatasetPreviewView(DatasetsView):
    """A page of a dataset version's rows with its column summary."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(parameters=TABLE_PAGE_PARAMS, responses=TablePageSerializer)
    def get(self, request: Request, pk: int, digest: str) -> Response:
        dataset, version = self.version(pk, digest)
        try:
            path, _ = dataset_services.store_for(dataset.workspace_id).read(
                dataset.name, version.digest
            )
        except DatasetNotFound as exc:
            raise ApiError(410, "gone", str(exc)) from exc
        return Response(table_page(path, summary=version.summary, **_page_query(request)))


class _UsageRowSerializer(DatasetUsageSerializer):
    """A DatasetUsage row in the usage shape."""

    def to_representation(self, usage: DatasetUsage) -> dict[str, Any]:
        return {
            "run": usage.run_id,
            "step": usage.step,
            "label": usage.label or usage.step,
            "status": usage.run.status,
            "graph": usage.run.graph_version.graph_id,
            "created_at": usage.run.created_at.isoformat(),
        }


class DatasetUsageView(DatasetsView):
    """The runs that read a dataset version."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(responses=paginated(DatasetUsageSerializer))
    def get(self, request: Request, pk: int, digest: str) -> Response:
        _, version = self.version(pk, digest)
        usages = (
            DatasetUsage.objects.filter(version=version)
            .select_related("run__graph_version")
            .order_by("-run__created_at", "step")
        )
        return paginated_response(self, usages, _UsageRowSerializer)
