"""REST views: publish and manage endpoints, call them, follow calls, keys, schedules, history."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import TruncDay, TruncHour
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from designer.api_errors import ApiError, error_responses
from designer.endpoints import cron, monitoring, services
from designer.endpoints.deployment import deployed_scorer, score_url
from designer.endpoints.models import Endpoint, EndpointKey, EndpointKind, Invocation, Schedule
from designer.endpoints.openapi import endpoint_openapi, realtime_openapi
from designer.endpoints.permissions import KeyOrMemberView
from designer.endpoints.results import MEDIA_TYPES, output_download
from designer.endpoints.serializers import (
    EndpointSerializer,
    EndpointUpdateSerializer,
    EndpointVersionSerializer,
    FirePreviewSerializer,
    InvocationSerializer,
    InvocationSummarySerializer,
    InvokeSerializer,
    KeyCreateSerializer,
    KeySerializer,
    MonitoringSerializer,
    NewKeySerializer,
    OnnxManifestSerializer,
    PublishSerializer,
    PublishVersionSerializer,
    ScheduleSerializer,
    ScheduleWriteSerializer,
    StatsSerializer,
)
from designer.graphs.models import Graph
from designer.runs.models import RunStatus, StepRun, StepStatus
from designer.serving.bundles import BundleError
from designer.serving.onnx_export import NoOnnxModel, OnnxDownload, onnx_download
from designer.workspaces.models import Role
from designer.workspaces.pagination import int_parameter, paginated, paginated_response, query_int
from designer.workspaces.parsers import LimitedJSONParser, LimitedMultiPartParser
from designer.workspaces.permissions import ScopedAPIView

ENDPOINTS = Endpoint.objects.select_related(
    "graph", "default_version", "split_version", "created_by", "workspace"
)
CALLS = Invocation.objects.select_related(
    "run", "version", "key", "user", "endpoint__workspace"
).defer("run__inline_plan", "run__parameters", "run__options")
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255},  # type: ignore[arg-type]
    OpenApiParameter.HEADER,
    required=False,
    description="Retrying a call with the same key (and the same body) returns the same call.",
)
FAILED = [RunStatus.FAILED, RunStatus.CANCELED]
FAILED_STEPS = Prefetch(  # what a page of calls says of its failed runs, in one query
    "run__steps",
    StepRun.objects.filter(status=StepStatus.FAILED).only("run_id", "key", "module", "error"),
    to_attr="failed_steps",
)


class EndpointsView(ScopedAPIView):
    """Base of the endpoint management views (JSON bodies)."""

    parser_classes = [LimitedJSONParser]

    def endpoint(self, pk: int) -> Endpoint:
        """The endpoint, with the method's policy checked against its workspace."""
        return self.scoped_object(ENDPOINTS, pk, "Endpoint")


def _endpoint_response(endpoint: Endpoint, request: Request, code: int = 200) -> Response:
    fresh = ENDPOINTS.prefetch_related("versions__graph_version", "versions__created_by").get(
        pk=endpoint.pk
    )
    return Response(EndpointSerializer(fresh, context={"request": request}).data, status=code)


class WorkspaceEndpointsView(EndpointsView):
    """A workspace's endpoints; editors publish a graph version as a new one."""

    policy = {"GET": Role.VIEWER, "POST": Role.EDITOR}

    @extend_schema(
        responses={200: paginated(EndpointSerializer), **error_responses(400, 401, 404)},
        operation_id="endpoints_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        self.authorize(pk, "Workspace", pk)
        endpoints = (
            ENDPOINTS.filter(workspace_id=pk)
            .prefetch_related("versions__graph_version", "versions__created_by")
            .order_by("name")
        )
        return paginated_response(self, endpoints, EndpointSerializer)

    @extend_schema(
        request=PublishSerializer,
        responses={201: EndpointSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
        operation_id="endpoints_publish",
    )
    def post(self, request: Request, pk: int) -> Response:
        membership = self.authorize(pk, "Workspace", pk)
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        graph = Graph.objects.filter(pk=data.pop("graph"), workspace_id=pk).first()
        if graph is None:
            raise ApiError(
                400,
                "invalid",
                "graph: no such graph in this workspace.",
                [{"field": "graph", "code": "not_found", "message": "no such graph"}],
            )
        endpoint = services.publish(membership.workspace, request.user, graph=graph, **data)
        return _endpoint_response(endpoint, request, status.HTTP_201_CREATED)


class EndpointDetailView(EndpointsView):
    """One endpoint; editors change its description, default version, enabled flag, or delete it."""

    policy = {"GET": Role.VIEWER, "PATCH": Role.EDITOR, "DELETE": Role.EDITOR}

    @extend_schema(responses={200: EndpointSerializer, **error_responses(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        return _endpoint_response(self.endpoint(pk), request)

    @extend_schema(
        request=EndpointUpdateSerializer,
        responses={200: EndpointSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        endpoint = self.endpoint(pk)
        body = EndpointUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.update_endpoint(endpoint, request.user, **body.validated_data)
        return _endpoint_response(endpoint, request)

    @extend_schema(responses={204: None, **error_responses(401, 403, 404)})
    def delete(self, request: Request, pk: int) -> Response:
        services.delete_endpoint(self.endpoint(pk), request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointVersionsView(EndpointsView):
    """An endpoint's versions, newest first; editors publish the next one."""

    policy = {"GET": Role.VIEWER, "POST": Role.EDITOR}

    @extend_schema(
        responses={200: paginated(EndpointVersionSerializer), **error_responses(400, 401, 404)},
        operation_id="endpoint_versions_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        versions = self.endpoint(pk).versions.select_related("graph_version", "created_by")
        return paginated_response(self, versions, EndpointVersionSerializer)

    @extend_schema(
        request=PublishVersionSerializer,
        responses={201: EndpointVersionSerializer, **error_responses(400, 401, 403, 404, 415)},
        operation_id="endpoint_versions_publish",
    )
    def post(self, request: Request, pk: int) -> Response:
        endpoint = self.endpoint(pk)
        body = PublishVersionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = services.publish_version(endpoint, request.user, **body.validated_data)
        return Response(EndpointVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class EndpointOpenApiView(EndpointsView):
    """The OpenAPI document of an endpoint version (?version=N; default: the default version)."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(
        parameters=[int_parameter("version", 1, 2**31, "The version (default: the default one).")],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="An OpenAPI 3.0 document."),
            **error_responses(400, 401, 404),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        endpoint = self.endpoint(pk)
        number = query_int(request, "version", 0, 1, 2**31) or None
        version = services.version_for_call(endpoint, number)
        if endpoint.kind == EndpointKind.REALTIME:
            url = score_url(request, endpoint.pk)
            return Response(realtime_openapi(endpoint, version, url.split("/score/")[0]))
        server = request.build_absolute_uri("/").rstrip("/")
        return Response(endpoint_openapi(endpoint, version, server))


class FormatIsAQueryParameter(DefaultContentNegotiation):
    """Downloads: errors are JSON whatever the Accept header (`?format=`, where there is one,
    picks the file's format)."""

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


def _onnx_download(endpoint: Endpoint, number: int) -> OnnxDownload:
    """Version `number`'s deployed ONNX model, or a 404/409 naming why there is none."""
    version = services.version_for_call(endpoint, number)
    if endpoint.kind != EndpointKind.REALTIME:
        raise ApiError(
            409,
            "not_realtime",
            f"Endpoint {endpoint.name} is a pipeline endpoint: only real-time versions hold an "
            "ONNX model.",
        )
    try:
        scorer = deployed_scorer(version)
    except BundleError as exc:
        raise ApiError(409, "not_deployed", f"Version {number} cannot be read: {exc}.") from exc
    if scorer is None:
        raise ApiError(409, "not_deployed", f"Version {number} is not deployed.")
    try:
        return onnx_download(scorer)
    except NoOnnxModel as exc:
        raise ApiError(409, exc.code, str(exc)) from exc


class EndpointVersionOnnxView(EndpointsView):
    """Download a real-time version's ONNX model, the one checked against scikit-learn when it
    was deployed (run it with onnxruntime as its manifest, …/model.onnx.json, says)."""

    policy = {"GET": Role.VIEWER}
    content_negotiation_class = FormatIsAQueryParameter

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            **error_responses(401, 404, 409),
        },
        operation_id="endpoint_version_onnx",
    )
    def get(self, request: Request, pk: int, number: int) -> HttpResponse:
        endpoint = self.endpoint(pk)
        download = _onnx_download(endpoint, number)
        response = HttpResponse(download.data, content_type="application/octet-stream")
        name = f"{endpoint.name}-v{number}.onnx"
        response["Content-Disposition"] = content_disposition_header(True, name)
        response["Link"] = '<model.onnx.json>; rel="describedby"'
        return response


class EndpointVersionOnnxManifestView(EndpointsView):
    """How to run a real-time version's ONNX model: its inputs (names, order, types), what its
    outputs are in the endpoint's response, and how close it came to scikit-learn."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(
        responses={200: OnnxManifestSerializer, **error_responses(401, 404, 409)},
        operation_id="endpoint_version_onnx_manifest",
    )
    def get(self, request: Request, pk: int, number: int) -> Response:
        download = _onnx_download(self.endpoint(pk), number)
        return Response(OnnxManifestSerializer(download.manifest).data)


def _call_body(request: Request) -> tuple[Any, Any, dict[str, Any]]:
    """(parameters, dataset inputs, files) of a JSON or multipart call (400 when malformed)."""
    files = {name: request.FILES[name] for name in request.FILES}
    if request.content_type.startswith("multipart/"):
        data: Any = {}
        for name in request.data:
            if name in files:
                continue
            try:
                data[name] = json.loads(request.data[name])
            except json.JSONDecodeError as exc:
                raise ApiError(
                    400,
                    "invalid",
                    f"{name}: the multipart field is not JSON text ({exc}).",
                    [{"field": name, "code": "invalid", "message": "expected JSON text"}],
                ) from exc
    else:
        data = request.data
    body = InvokeSerializer(data=data)
    body.is_valid(raise_exception=True)
    return body.validated_data["parameters"], body.validated_data["inputs"], files


def _idempotency_key(request: Request) -> str:
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return ""
    if not value.strip() or len(value) > 255:
        raise ApiError(
            400,
            "invalid",
            "The Idempotency-Key header must hold 1 to 255 characters.",
            [{"field": "Idempotency-Key", "code": "invalid", "message": "1 to 255 characters"}],
        )
    return value


class InvokeView(KeyOrMemberView):
    """Call an endpoint (its default version): 202 with the call to follow."""

    policy = {"POST": Role.EDITOR}
    parser_classes = [LimitedJSONParser, LimitedMultiPartParser]

    def call(self, request: Request, pk: int, number: int | None) -> Response:
        endpoint = self.endpoint_for_call(ENDPOINTS, pk)
        parameters, datasets, files = _call_body(request)
        caller = services.Caller(key=self.key, user=request.user if self.key is None else None)
        call, replayed = services.invoke(
            endpoint,
            caller,
            version=number,
            parameters=parameters,
            datasets=datasets,
            files=files,
            idempotency_key=_idempotency_key(request),
        )
        body = InvocationSerializer(call, context={"request": request}).data
        headers = {"Location": body["status_url"]}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)

    @extend_schema(
        request={"application/json": InvokeSerializer, "multipart/form-data": InvokeSerializer},
        parameters=[IDEMPOTENCY],
        responses={
            202: InvocationSerializer,
            **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429, 507),
        },
        operation_id="endpoint_invoke",
    )
    def post(self, request: Request, pk: int) -> Response:
        return self.call(request, pk, None)


class InvokeVersionView(InvokeView):
    """Call one version of an endpoint: 202 with the call to follow."""

    @extend_schema(
        request={"application/json": InvokeSerializer, "multipart/form-data": InvokeSerializer},
        parameters=[IDEMPOTENCY],
        responses={
            202: InvocationSerializer,
            **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 429, 507),
        },
        operation_id="endpoint_invoke_version",
    )
    def post(self, request: Request, pk: int, number: int) -> Response:  # type: ignore[override]
        return self.call(request, pk, number)


class InvocationDetailView(KeyOrMemberView):
    """A call's status, with its outputs' download URLs once it succeeded."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(responses={200: InvocationSerializer, **error_responses(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        call = self.invocation_for_caller(CALLS, pk)
        return Response(InvocationSerializer(call, context={"request": request}).data)


class InvocationOutputView(KeyOrMemberView):
    """Download an output of a succeeded call as CSV, JSON (an array of rows) or Parquet."""

    policy = {"GET": Role.VIEWER}
    content_negotiation_class = FormatIsAQueryParameter

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=sorted(MEDIA_TYPES), required=False, default="csv")
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiResponse(
                {"type": "array", "items": {"type": "object"}},  # type: ignore[arg-type]
                description="The table's rows, one object per row.",
            ),
            (200, MEDIA_TYPES["parquet"]): OpenApiTypes.BINARY,
            **error_responses(400, 401, 404, 409),
        },
    )
    def get(self, request: Request, pk: int, name: str) -> HttpResponse:
        call = self.invocation_for_caller(CALLS, pk)
        return output_download(call, name, request.query_params.get("format", "csv"))


class EndpointInvocationsView(EndpointsView):
    """An endpoint's call history, newest first (?status= filters)."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=RunStatus.values, required=False)],
        responses={200: paginated(InvocationSummarySerializer), **error_responses(400, 401, 404)},
        operation_id="endpoint_invocations_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        endpoint = self.endpoint(pk)
        calls = CALLS.filter(endpoint=endpoint).prefetch_related(FAILED_STEPS)
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in RunStatus.values:
                raise ApiError(
                    400, "invalid", f"?status={wanted!r} is not one of {RunStatus.values}."
                )
            calls = calls.filter(run__status=wanted)
        return paginated_response(self, calls, InvocationSummarySerializer)


class EndpointStatsView(EndpointsView):
    """Calls and failed calls per hour (last 48 hours) or per day (last 30 days)."""

    policy = {"GET": Role.VIEWER}
    SPANS = {"hour": (TruncHour, timedelta(hours=1), 48), "day": (TruncDay, timedelta(days=1), 30)}

    @extend_schema(
        parameters=[OpenApiParameter("bucket", str, enum=["hour", "day"], required=False)],
        responses={200: StatsSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        endpoint = self.endpoint(pk)
        bucket = request.query_params.get("bucket", "hour")
        if bucket not in self.SPANS:
            raise ApiError(400, "invalid", f"?bucket={bucket!r} is not one of hour, day.")
        trunc, step, count = self.SPANS[bucket]
        now = timezone.now()
        first = (
            now.replace(minute=0, second=0, microsecond=0)
            if bucket == "hour"
            else now.replace(hour=0, minute=0, second=0, microsecond=0)
        ) - step * (count - 1)
        rows = (
            Invocation.objects.filter(endpoint=endpoint, created_at__gte=first)
            .annotate(start=trunc("created_at"))
            .values("start")
            .annotate(calls=Count("id"), failures=Count("id", filter=Q(run__status__in=FAILED)))
        )
        found = {row["start"]: row for row in rows}
        points = []
        for i in range(count):
            start = first + step * i
            row = found.get(start, {"calls": 0, "failures": 0})
            points.append({"start": start, "calls": row["calls"], "failures": row["failures"]})
        return Response(StatsSerializer({"bucket": bucket, "points": points}).data)


class EndpointMonitoringView(EndpointsView):
    """A real-time endpoint's calls, errors and latency per version over time, and its last
    errors (with their inputs when the endpoint captures them)."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "window",
                str,
                enum=sorted(monitoring.WINDOWS),
                required=False,
                default="hour",
                description="hour: minute points; day: 15-minute points; week: hourly points.",
            )
        ],
        responses={200: MonitoringSerializer, **error_responses(400, 401, 404, 409)},
    )
    def get(self, request: Request, pk: int) -> Response:
        endpoint = self.endpoint(pk)
        if endpoint.kind != EndpointKind.REALTIME:
            raise ApiError(
                409,
                "not_realtime",
                f"Endpoint {endpoint.name} is a pipeline endpoint: its calls are at …/stats/ "
                "and …/invocations/.",
            )
        window = request.query_params.get("window", "hour")
        if window not in monitoring.WINDOWS:
            raise ApiError(
                400,
                "invalid",
                f"?window={window!r} is not one of {', '.join(sorted(monitoring.WINDOWS))}.",
                [{"field": "window", "code": "invalid", "message": "hour, day or week"}],
            )
        monitoring.collect()
        return Response(MonitoringSerializer(monitoring.summary(endpoint, window)).data)


class WorkspaceKeysView(ScopedAPIView):
    """A workspace's endpoint keys (editors); a new key's raw value is returned once."""

    policy = {"GET": Role.EDITOR, "POST": Role.EDITOR}
    parser_classes = [LimitedJSONParser]

    @extend_schema(
        responses={200: paginated(KeySerializer), **error_responses(400, 401, 403, 404)},
        operation_id="endpoint_keys_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        self.authorize(pk, "Workspace", pk)
        keys = EndpointKey.objects.filter(workspace_id=pk).select_related("endpoint", "created_by")
        return paginated_response(self, keys.order_by("-created_at", "-id"), KeySerializer)

    @extend_schema(
        request=KeyCreateSerializer,
        responses={201: NewKeySerializer, **error_responses(400, 401, 403, 404, 415)},
        operation_id="endpoint_keys_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        membership = self.authorize(pk, "Workspace", pk)
        body = KeyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        endpoint = None
        if data["endpoint"] is not None:
            endpoint = Endpoint.objects.filter(pk=data["endpoint"], workspace_id=pk).first()
            if endpoint is None:
                raise ApiError(
                    400,
                    "invalid",
                    "endpoint: no such endpoint in this workspace.",
                    [{"field": "endpoint", "code": "not_found", "message": "no such endpoint"}],
                )
        key, raw = services.create_key(
            membership.workspace, request.user, data["name"], endpoint, data["rate_per_minute"]
        )
        key.key = raw  # type: ignore[attr-defined]
        return Response(NewKeySerializer(key).data, status=status.HTTP_201_CREATED)


class KeyDetailView(ScopedAPIView):
    """One endpoint key (editors); DELETE revokes it."""

    policy = {"GET": Role.EDITOR, "DELETE": Role.EDITOR}
    parser_classes = [LimitedJSONParser]

    def _key(self, pk: int) -> EndpointKey:
        return self.scoped_object(
            EndpointKey.objects.select_related("endpoint", "created_by"), pk, "Endpoint key"
        )

    @extend_schema(responses={200: KeySerializer, **error_responses(401, 403, 404)})
    def get(self, request: Request, pk: int) -> Response:
        return Response(KeySerializer(self._key(pk)).data)

    @extend_schema(responses={204: None, **error_responses(401, 403, 404)})
    def delete(self, request: Request, pk: int) -> Response:
        services.revoke_key(self._key(pk), request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointSchedulesView(EndpointsView):
    """An endpoint's schedules; editors add one."""

    policy = {"GET": Role.VIEWER, "POST": Role.EDITOR}

    @extend_schema(
        responses={200: paginated(ScheduleSerializer), **error_responses(400, 401, 404)},
        operation_id="endpoint_schedules_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        schedules = Schedule.objects.filter(endpoint=self.endpoint(pk)).select_related("version")
        return paginated_response(self, schedules.order_by("id"), ScheduleSerializer)

    @extend_schema(
        request=ScheduleWriteSerializer,
        responses={201: ScheduleSerializer, **error_responses(400, 401, 403, 404, 415)},
        operation_id="endpoint_schedules_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        endpoint = self.endpoint(pk)
        body = ScheduleWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        schedule = services.create_schedule(endpoint, request.user, **body.validated_data)
        return Response(ScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)


class SchedulePreviewView(EndpointsView):
    """The next five fire times of a cron expression in a time zone (before saving it)."""

    policy = {"GET": Role.VIEWER}

    @extend_schema(
        parameters=[
            OpenApiParameter("cron", str, required=True),
            OpenApiParameter("timezone", str, required=False, default="UTC"),
        ],
        responses={200: FirePreviewSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        self.endpoint(pk)
        expression = request.query_params.get("cron", "")
        zone = request.query_params.get("timezone", "UTC")
        issues = [
            {"field": field, "code": "invalid", "message": problem}
            for field, problem in (
                ("cron", cron.cron_problem(expression)),
                ("timezone", cron.zone_problem(zone)),
            )
            if problem is not None
        ]
        if issues:
            raise ApiError.naming(400, "invalid", issues)
        times = cron.next_fire_times(expression, zone, timezone.now(), 5)
        return Response({"next": [t.isoformat() for t in times]})


class ScheduleDetailView(ScopedAPIView):
    """One schedule; editors change or delete it."""

    policy = {"GET": Role.VIEWER, "PATCH": Role.EDITOR, "DELETE": Role.EDITOR}
    parser_classes = [LimitedJSONParser]

    def _schedule(self, pk: int) -> Schedule:
        schedule: Schedule | None = (
            Schedule.objects.select_related("endpoint", "version").filter(pk=pk).first()
        )
        if schedule is None:
            raise ApiError(404, "not_found", f"Schedule {pk} not found.")
        self.authorize(schedule.endpoint.workspace_id, "Schedule", pk)
        return schedule

    @extend_schema(responses={200: ScheduleSerializer, **error_responses(401, 404)})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ScheduleSerializer(self._schedule(pk)).data)

    @extend_schema(
        request=ScheduleWriteSerializer(partial=True),
        responses={200: ScheduleSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        schedule = self._schedule(pk)
        body = ScheduleWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        if not body.validated_data:
            raise ApiError(400, "invalid", "Give at least one field to change.")
        services.update_schedule(schedule, request.user, **body.validated_data)
        return Response(ScheduleSerializer(schedule).data)

    @extend_schema(responses={204: None, **error_responses(401, 403, 404)})
    def delete(self, request: Request, pk: int) -> Response:
        services.delete_schedule(self._schedule(pk), request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
