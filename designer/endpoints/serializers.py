"""API shapes for endpoints, versions, calls, keys and schedules."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from designer.api_errors import IssueSerializer
from designer.endpoints.cron import next_fire_times
from designer.endpoints.deployment import score_url
from designer.endpoints.models import (
    Endpoint,
    EndpointKey,
    EndpointKind,
    EndpointVersion,
    ExtraColumns,
    Invocation,
    MissedFires,
    Schedule,
    ScheduleFire,
    caller_label,
)
from designer.endpoints.monitoring import DRIFT_SHOWN, KEEP_ERRORS, WINDOWS
from designer.runs.models import Run, RunStatus, StepStatus
from designer.runs.serializers import CallerSerializer
from designer.serving.schema import MAX_ROWS_NAMED
from designer.serving.stats import BODY_CAP, DETAIL_CAP, ISSUES_KEPT, SAMPLED_ROWS
from designer.workspaces.serializers import ScalarField, StrictSerializer, named

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
FORMATS = ("csv", "json", "parquet")
NEXT_FIRES = 5


def absolute(context: dict[str, Any], route: str, **kwargs: Any) -> str:
    """The absolute URL of a named route for the request being answered."""
    path = reverse(route, kwargs=kwargs)
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


def websocket_url(context: dict[str, Any], run_id: int) -> str:
    """The WebSocket URL that streams a run's events."""
    http = absolute(context, "endpoint-list", pk=0).split("/api/")[0]
    return http.replace("http", "ws", 1) + f"/ws/runs/{run_id}/"


JSON_TYPES = ["integer", "number", "boolean", "string"]
RUNTIMES = ["onnx", "sklearn", "graph"]


class ColumnSerializer(serializers.Serializer):
    """One column of a real-time version's rows."""

    name = serializers.CharField()
    type = serializers.ChoiceField(choices=JSON_TYPES)
    nullable = serializers.BooleanField(help_text="Whether null is accepted (or returned).")


class RowSchemaSerializer(serializers.Serializer):
    """The columns of request or response rows."""

    columns = ColumnSerializer(many=True)


class ToleranceSerializer(serializers.Serializer):
    """How far an ONNX score may be from scikit-learn's: |d| <= absolute + relative * |v|."""

    absolute = serializers.FloatField()
    relative = serializers.FloatField()


class ProfileSerializer(serializers.Serializer):
    """A numeric input column over the training rows."""

    mean = serializers.FloatField()
    std = serializers.FloatField()


class ScoringSerializer(serializers.Serializer):
    """How a real-time version scores: its runtime and why, its schemas, and examples."""

    runtime = serializers.ChoiceField(
        choices=RUNTIMES,
        help_text="onnx or sklearn: the fused kernel (model in onnxruntime or scikit-learn); "
        "graph: module by module.",
    )
    runtime_reason = serializers.CharField()
    max_difference = serializers.FloatField(
        allow_null=True, help_text="Largest ONNX difference from scikit-learn on the checked rows."
    )
    onnx_model = serializers.BooleanField(
        default=False,
        help_text="Whether …/versions/N/model.onnx offers the checked ONNX model for download.",
    )
    tolerance = ToleranceSerializer()
    checked_rows = serializers.IntegerField(help_text="Training rows the runtimes were checked on.")
    sandboxed_steps = serializers.ListField(
        child=serializers.CharField(), help_text="Steps that run user code in the sandbox per call."
    )
    latency_note = serializers.CharField(allow_blank=True)
    input_schema = RowSchemaSerializer()
    output_schema = RowSchemaSerializer()
    max_rows = serializers.IntegerField(help_text="Rows scored per call at most.")
    examples = serializers.ListField(
        child=serializers.DictField(child=ScalarField()),
        help_text="Training rows, as a call sends them.",
    )
    input_profile = serializers.DictField(
        child=ProfileSerializer(),
        required=False,
        help_text="Numeric input columns: {mean, std} over the training rows (input drift).",
    )


@extend_schema_field(
    {"oneOf": [{"type": "string", "enum": ["rows"]}, {"type": "integer", "minimum": 1}]}
)
class DimensionField(serializers.JSONField):
    """One dimension of an ONNX shape: "rows" (as many as a call sends) or a size."""


class OnnxInputSerializer(serializers.Serializer):
    """One input of an ONNX model: a (rows, features) matrix, or one column of (rows, 1)."""

    name = serializers.CharField()
    shape = serializers.ListField(child=DimensionField(), help_text='["rows", width]')
    type = serializers.ChoiceField(choices=["float64", "float32", "string"])
    columns = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The request columns in the matrix, in this order.",
    )


class OnnxOutputSerializer(serializers.Serializer):
    """One output of an ONNX model and the response column(s) it gives."""

    name = serializers.CharField()
    response_column = serializers.CharField(required=False, help_text="For the labels.")
    shape = serializers.ListField(child=DimensionField(), required=False)
    classes = serializers.ListField(
        child=ScalarField(), required=False, help_text="The class labels, in column order."
    )
    response_columns = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Response column → index of its probability in a row of this output.",
    )


class OnnxManifestSerializer(serializers.Serializer):
    """How to run a real-time version's ONNX model with plain onnxruntime."""

    features = serializers.ListField(
        child=serializers.CharField(), help_text="The request columns the model reads, in order."
    )
    inputs = OnnxInputSerializer(many=True)
    outputs = OnnxOutputSerializer(many=True)
    float_type = serializers.ChoiceField(choices=["float64", "float32"])
    max_difference = serializers.FloatField(
        allow_null=True, help_text="Largest difference from scikit-learn on the checked rows."
    )
    tolerance = ToleranceSerializer()
    checked_rows = serializers.IntegerField()


class InterfaceParameterSerializer(serializers.Serializer):
    """A pipeline parameter a caller may set."""

    type = serializers.ChoiceField(choices=["int", "float", "bool", "string"])
    default = ScalarField()
    description = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()


class InterfaceInputSerializer(serializers.Serializer):
    """A table a caller sends (a file, or a registered dataset)."""

    name = serializers.CharField()
    node = serializers.CharField()
    title = serializers.CharField()
    required = serializers.BooleanField()


class InterfaceOutputSerializer(serializers.Serializer):
    """A result a caller downloads."""

    name = serializers.CharField()
    node = serializers.CharField()
    port = serializers.CharField()
    title = serializers.CharField()


class InterfaceSerializer(serializers.Serializer):
    """What an endpoint version takes and gives."""

    parameters = serializers.DictField(child=InterfaceParameterSerializer())
    inputs = InterfaceInputSerializer(many=True)
    outputs = InterfaceOutputSerializer(many=True)


class EndpointVersionSerializer(serializers.ModelSerializer):
    """One version of an endpoint: the graph version it pins and its interface."""

    graph_version = serializers.IntegerField(source="graph_version.number", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    interface = InterfaceSerializer(
        read_only=True,
        help_text="What a pipeline version takes and gives (empty lists for real-time).",
    )
    scoring = ScoringSerializer(
        read_only=True, allow_null=True, help_text="A real-time version's scorer; null otherwise."
    )

    class Meta:
        model = EndpointVersion
        fields = [
            "number",
            "graph_version",
            "interface",
            "scoring",
            "message",
            "created_by",
            "created_at",
        ]


class SplitSerializer(StrictSerializer):
    """A traffic split: `percent` of the calls go to `version`, the rest to the default."""

    version = serializers.IntegerField(min_value=1)
    percent = serializers.IntegerField(min_value=1, max_value=99)


class EndpointSerializer(serializers.ModelSerializer):
    """An endpoint with its versions and the URL that calls its default version."""

    graph_name = serializers.CharField(source="graph.name", read_only=True)
    default_version = serializers.IntegerField(
        source="default_version.number", read_only=True, allow_null=True
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    versions = EndpointVersionSerializer(many=True, read_only=True)
    split = serializers.SerializerMethodField()
    key_datasets = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Pipeline: the registered datasets that calls by key may name as inputs.",
    )
    invoke_url = serializers.SerializerMethodField()

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "workspace",
            "kind",
            "name",
            "description",
            "enabled",
            "graph",
            "graph_name",
            "default_version",
            "split",
            "extra_columns",
            "capture_errors",
            "key_datasets",
            "versions",
            "invoke_url",
            "created_by",
            "created_at",
        ]

    @extend_schema_field(SplitSerializer(allow_null=True))
    def get_split(self, endpoint: Endpoint) -> dict[str, int] | None:
        if endpoint.split_version is None:
            return None
        return {"version": endpoint.split_version.number, "percent": endpoint.split_percent}

    def get_invoke_url(self, endpoint: Endpoint) -> str:
        """Where a call of the default version goes: the scoring service for a real-time
        endpoint, the invoke route for a pipeline endpoint."""
        if endpoint.kind == EndpointKind.REALTIME:
            return score_url(self.context.get("request"), endpoint.pk)
        return absolute(self.context, "endpoint-invoke", pk=endpoint.pk)


class PublishSerializer(StrictSerializer):
    """Body of publishing a graph version as a new endpoint."""

    name = serializers.RegexField(
        SLUG,
        max_length=63,
        help_text="Lower-case letters, digits and dashes; unique in the workspace.",
    )
    graph = serializers.IntegerField(min_value=1, help_text="The graph to publish.")
    kind = serializers.ChoiceField(
        choices=EndpointKind.choices,
        default=EndpointKind.PIPELINE,
        help_text="pipeline: each call starts a run; realtime: an inference graph compiled into "
        "a scorer that answers JSON rows at once.",
    )
    extra_columns = serializers.ChoiceField(
        choices=ExtraColumns.choices,
        default=ExtraColumns.IGNORE,
        help_text="Real-time: request columns the input schema does not name are ignored, or "
        "refused (422).",
    )
    graph_version = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The graph version to pin; null: the draft, saved as a version if it changed.",
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class PublishVersionSerializer(StrictSerializer):
    """Body of publishing the endpoint's next version."""

    graph_version = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The graph version to pin; null: the draft, saved as a version if it changed.",
    )
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    make_default = serializers.BooleanField(required=False, default=True)


class EndpointUpdateSerializer(StrictSerializer):
    """Body of changing an endpoint (at least one field)."""

    needs_a_field = True  # the schema says so too (minProperties: 1)

    description = serializers.CharField(required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)
    default_version = serializers.IntegerField(required=False, min_value=1)
    split = SplitSerializer(
        required=False,
        allow_null=True,
        help_text="Real-time: send this share of calls to another version; null ends the split. "
        "Making the split's version the default ends it too.",
    )
    extra_columns = serializers.ChoiceField(choices=ExtraColumns.choices, required=False)
    capture_errors = serializers.BooleanField(
        required=False, help_text="Real-time: keep failed calls' bodies (4 KB each) for the page."
    )
    key_datasets = serializers.ListField(
        child=serializers.CharField(max_length=200),
        max_length=1000,
        required=False,
        help_text="Pipeline: the registered datasets of the workspace that calls by key may name "
        "as inputs (the whole list; members and schedules name any).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(f"Give at least one of {', '.join(self.fields)}.")
        return attrs


class DatasetReferenceSerializer(StrictSerializer):
    """A registered dataset given as an input: its name and optionally a version digest."""

    dataset = serializers.CharField(max_length=200)
    version = serializers.CharField(
        required=False, min_length=8, max_length=64, help_text="Default: the latest version."
    )


class InvokeSerializer(StrictSerializer):
    """Body of a call: pipeline parameter values, and inputs given as registered datasets.

    A multipart call sends `parameters` and `inputs` as JSON text and each input's file under
    the input's name.
    """

    parameters = serializers.DictField(child=ScalarField(), required=False, default=dict)
    inputs = serializers.DictField(child=DatasetReferenceSerializer(), required=False, default=dict)


class OutputLinkSerializer(serializers.Serializer):
    """A published output of a finished call, with its download URLs."""

    name = serializers.CharField()
    title = serializers.CharField()
    rows = serializers.IntegerField(allow_null=True)
    urls = serializers.DictField(child=serializers.URLField(), help_text="csv, json, parquet")


def caller_of(call: Invocation) -> dict[str, str]:
    """The caller of an invocation, as the history shows it."""
    return caller_label(call.key if call.key_id else None, call.schedule_id, call.user)


def run_error(run: Run) -> str:
    """A call's error: its run's own, else each failed step's first line (a key cannot read the
    run; a traceback, with the names and lines of the graph's code, stays on the run page)."""
    if run.error or run.status != RunStatus.FAILED:
        return run.error
    steps = getattr(run, "failed_steps", None)
    if steps is None:
        steps = run.steps.filter(status=StepStatus.FAILED)
    firsts = [(step, step.error.partition("\n")[0]) for step in steps]
    return "; ".join(f"step {step.key} ({step.module}) failed: {line}" for step, line in firsts)


class InvocationSummarySerializer(serializers.ModelSerializer):
    """A call in the history: when, which version, who, status and duration."""

    version = serializers.IntegerField(source="version.number", read_only=True)
    status = serializers.ChoiceField(choices=RunStatus.choices, source="run.status")
    created_at = serializers.DateTimeField(read_only=True)
    started_at = serializers.DateTimeField(source="run.started_at", allow_null=True)
    finished_at = serializers.DateTimeField(source="run.finished_at", allow_null=True)
    duration = serializers.SerializerMethodField()
    caller = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField(
        help_text="Why the call failed: the run's error, or each failed step with the first "
        "line of its error."
    )

    class Meta:
        model = Invocation
        fields = [
            "id",
            "endpoint",
            "version",
            "run",
            "status",
            "caller",
            "idempotency_key",
            "created_at",
            "started_at",
            "finished_at",
            "duration",
            "error",
        ]

    def get_duration(self, call: Invocation) -> float | None:
        """Seconds from the call to the end of its run (None while it runs)."""
        finished = call.run.finished_at
        return (finished - call.created_at).total_seconds() if finished else None

    @extend_schema_field(CallerSerializer)
    def get_caller(self, call: Invocation) -> dict[str, str]:
        return caller_of(call)

    def get_error(self, call: Invocation) -> str:
        return run_error(call.run)


class CallInputSerializer(serializers.Serializer):
    """The table a call read for one input: a dataset version, registered or sent as a file."""

    dataset = serializers.CharField()
    version = serializers.CharField(help_text="The version's digest.")
    source = serializers.ChoiceField(
        choices=["file", "dataset"], help_text="Sent with the call, or named in it."
    )


class InvocationSerializer(InvocationSummarySerializer):
    """A call with the URLs to follow it and, once it succeeded, to download its outputs."""

    endpoint_name = serializers.CharField(source="endpoint.name", read_only=True)
    inputs = serializers.DictField(
        child=CallInputSerializer(), read_only=True, help_text="Input name → the table it read."
    )
    status_url = serializers.SerializerMethodField()
    websocket_url = serializers.SerializerMethodField()
    outputs = serializers.SerializerMethodField()

    class Meta(InvocationSummarySerializer.Meta):
        fields = [
            *InvocationSummarySerializer.Meta.fields,
            "endpoint_name",
            "inputs",
            "status_url",
            "websocket_url",
            "outputs",
        ]

    def get_status_url(self, call: Invocation) -> str:
        return absolute(self.context, "invocation-detail", pk=call.pk)

    def get_websocket_url(self, call: Invocation) -> str:
        return websocket_url(self.context, call.run_id)

    @extend_schema_field(OutputLinkSerializer(many=True))
    def get_outputs(self, call: Invocation) -> list[dict[str, Any]]:
        if call.run.status != RunStatus.SUCCEEDED:
            return []
        outputs = call.version.interface["outputs"]
        nodes = [output["node"] for output in outputs]
        steps = {step.key: step for step in call.run.step_list if step.key in nodes}
        links = []
        for output in outputs:
            step = steps.get(output["node"])
            info = step.outputs.get(output["port"], {}) if step else {}
            base = absolute(self.context, "invocation-output", pk=call.pk, name=output["name"])
            links.append(
                {
                    "name": output["name"],
                    "title": output["title"],
                    "rows": info.get("summary", {}).get("rows"),
                    "urls": {fmt: f"{base}?format={fmt}" for fmt in FORMATS},
                }
            )
        return links


class KeySerializer(serializers.ModelSerializer):
    """An endpoint key as listed (never the raw key)."""

    endpoint_name = serializers.CharField(source="endpoint.name", read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = EndpointKey
        fields = [
            "id",
            "workspace",
            "name",
            "prefix",
            "endpoint",
            "endpoint_name",
            "rate_per_minute",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]


class KeyCreateSerializer(StrictSerializer):
    """Body of creating an endpoint key."""

    name = serializers.CharField(max_length=200, error_messages=named("key", "keys list"))
    endpoint = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The one endpoint the key may call; null: every endpoint of the workspace.",
    )
    rate_per_minute = serializers.IntegerField(
        min_value=1, max_value=100_000, required=False, default=60
    )


class NewKeySerializer(KeySerializer):
    """A freshly created key: the only response that carries the raw key."""

    key = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(KeySerializer.Meta):
        fields = [*KeySerializer.Meta.fields, "key"]


class FireSerializer(serializers.ModelSerializer):
    """One fire of a schedule: its time, the call it made and how its run went, or why none was
    made."""

    run = serializers.IntegerField(source="invocation.run_id", allow_null=True, read_only=True)
    status = serializers.ChoiceField(
        choices=RunStatus.choices,
        source="invocation.run.status",
        allow_null=True,
        read_only=True,
        help_text="The call's run's status; null when no call was made.",
    )

    class Meta:
        model = ScheduleFire
        fields = ["fire_time", "invocation", "run", "status", "error", "created_at"]


# what a fire shows, without its call's run's plan and parameters
FIRE_FIELDS = ("fire_time", "error", "created_at", "invocation__run__status")


class ScheduleSerializer(serializers.ModelSerializer):
    """A schedule with its next fire times and its latest fires."""

    version = serializers.IntegerField(source="version.number", read_only=True, allow_null=True)
    parameters = serializers.DictField(child=ScalarField(), read_only=True)
    inputs = serializers.DictField(child=DatasetReferenceSerializer(), read_only=True)
    next_fires = serializers.SerializerMethodField()
    recent_fires = serializers.SerializerMethodField()

    class Meta:
        model = Schedule
        fields = [
            "id",
            "endpoint",
            "version",
            "cron",
            "timezone",
            "parameters",
            "inputs",
            "missed",
            "enabled",
            "next_fire_at",
            "next_fires",
            "recent_fires",
            "created_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.DateTimeField()))
    def get_next_fires(self, schedule: Schedule) -> list[str]:
        if not schedule.enabled or schedule.next_fire_at is None:
            return []
        first = schedule.next_fire_at
        later = next_fire_times(schedule.cron, schedule.timezone, first, NEXT_FIRES - 1)
        return [t.isoformat() for t in [first, *later]]

    @extend_schema_field(FireSerializer(many=True))
    def get_recent_fires(self, schedule: Schedule) -> list[dict[str, Any]]:
        fires = schedule.fires.select_related("invocation__run").only(*FIRE_FIELDS)
        return list(FireSerializer(fires[:NEXT_FIRES], many=True).data)


class ScheduleWriteSerializer(StrictSerializer):
    """Body of creating (cron required) or changing a schedule."""

    cron = serializers.CharField(
        max_length=100, help_text="Five cron fields or a macro such as @daily."
    )
    timezone = serializers.CharField(max_length=64, required=False, help_text="IANA name.")
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="The endpoint version to call; null: its default version at each fire.",
    )
    parameters = serializers.DictField(child=ScalarField(), required=False)
    inputs = serializers.DictField(child=DatasetReferenceSerializer(), required=False)
    missed = serializers.ChoiceField(choices=MissedFires.choices, required=False)
    enabled = serializers.BooleanField(required=False)


class FirePreviewSerializer(serializers.Serializer):
    """The next fire times of a cron expression in a time zone."""

    next = serializers.ListField(child=serializers.DateTimeField())


class StatsPointSerializer(serializers.Serializer):
    """Calls and failed calls in one time bucket."""

    start = serializers.DateTimeField()
    calls = serializers.IntegerField()
    failures = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    """An endpoint's calls and failures over time."""

    bucket = serializers.ChoiceField(choices=["hour", "day"])
    points = StatsPointSerializer(many=True)


class LatencyPointSerializer(serializers.Serializer):
    """A real-time version's calls in one step of time."""

    start = serializers.DateTimeField()
    calls = serializers.IntegerField(min_value=0)
    errors = serializers.IntegerField(min_value=0)
    rows = serializers.IntegerField(min_value=0)
    p50_ms = serializers.FloatField(
        min_value=0, allow_null=True, help_text="Null when there were no calls."
    )
    p99_ms = serializers.FloatField(min_value=0, allow_null=True)


class InputDriftSerializer(serializers.Serializer):
    """A numeric input column's sampled live values against the training rows."""

    column = serializers.CharField()
    values = serializers.IntegerField(
        min_value=1, help_text=f"Live values summed (up to {SAMPLED_ROWS} rows per call)."
    )
    mean = serializers.FloatField()
    std = serializers.FloatField(min_value=0)
    training_mean = serializers.FloatField()
    training_std = serializers.FloatField(min_value=0)
    shift = serializers.FloatField(
        allow_null=True,
        help_text="(live mean - training mean) / training std; null for a constant column.",
    )


class VersionMonitoringSerializer(serializers.Serializer):
    """One version over the window: totals, a point per step, and its inputs' drift (the
    columns whose mean moved most, in training standard deviations)."""

    number = serializers.IntegerField(min_value=1)
    calls = serializers.IntegerField(min_value=0)
    errors = serializers.IntegerField(min_value=0)
    rows = serializers.IntegerField(min_value=0)
    p50_ms = serializers.FloatField(min_value=0, allow_null=True)
    p99_ms = serializers.FloatField(min_value=0, allow_null=True)
    points = LatencyPointSerializer(many=True)
    inputs = InputDriftSerializer(
        many=True, help_text=f"At most {DRIFT_SHOWN} columns, the largest shifts first."
    )


class ScoringIssueSerializer(IssueSerializer):
    """One problem of a failed call: an issue of the API's errors, or a column of its rows."""

    column = serializers.CharField(required=False)
    rows = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        max_length=MAX_ROWS_NAMED,
        required=False,
        help_text=f"The rows at fault (0-based; the first {MAX_ROWS_NAMED}).",
    )


class ScoringErrorSerializer(serializers.Serializer):
    """A failed call: when, which version, the error, and its input when captured."""

    version = serializers.IntegerField(min_value=1)
    time = serializers.DateTimeField()
    code = serializers.CharField(max_length=64)
    detail = serializers.CharField(allow_blank=True, max_length=DETAIL_CAP)
    issues = ScoringIssueSerializer(many=True, help_text=f"The first {ISSUES_KEPT}.")
    input = serializers.CharField(
        allow_null=True,
        allow_blank=True,
        max_length=BODY_CAP,
        help_text=f"The request body (first {BODY_CAP} bytes); null unless captured.",
    )
    input_truncated = serializers.BooleanField()


class MonitoringSerializer(serializers.Serializer):
    """A real-time endpoint's figures per version over a window, and its last errors.

    Latencies are measured in the scoring process, from the call's arrival to its answer, in
    buckets 5 % wide (a percentile is its bucket's upper bound)."""

    window = serializers.ChoiceField(choices=list(WINDOWS))
    step_seconds = serializers.ChoiceField(
        choices=[int(w.step.total_seconds()) for w in WINDOWS.values()]
    )
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    versions = VersionMonitoringSerializer(many=True)
    last_errors = ScoringErrorSerializer(
        many=True, help_text=f"The last {KEEP_ERRORS}, the newest first."
    )
