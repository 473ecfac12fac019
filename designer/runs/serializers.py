"""API shapes for runs, steps, artifacts and datasets."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db.models.manager import BaseManager
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from designer.api_schema import json_shaped
from designer.engine.artifacts import KINDS
from designer.graphs.serializers import ParamValueField
from designer.runs import run_rows
from designer.runs.csv_dialect import AUTO, DECIMALS, SEPARATORS, codec
from designer.runs.models import Dataset, DatasetVersion, Run, RunStatus, StepRun
from designer.runs.preview import CELL_CHARS, MAX_COLUMNS, PAGE_CHARS
from designer.workspaces.serializers import ScalarField, StrictSerializer

DATASET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class AttemptSerializer(serializers.Serializer):
    """One attempt of a step."""

    attempt = serializers.IntegerField(help_text="1 for the first try (0: lines before any).")
    status = serializers.CharField(help_text="queued, running, succeeded, failed or canceled.")
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()
    lines = serializers.IntegerField(help_text="How many log lines it has.")


class CallerSerializer(serializers.Serializer):
    """Who made an endpoint call: a key, a schedule or a member."""

    kind = serializers.ChoiceField(choices=["key", "user", "schedule"])
    name = serializers.CharField(help_text="The key's name and prefix, the schedule or the user.")


class RunOriginSerializer(serializers.Serializer):
    """The endpoint call that started a run, as it was at the call."""

    endpoint = serializers.IntegerField()
    endpoint_name = serializers.CharField()
    caller = CallerSerializer()


class RunRefSerializer(serializers.Serializer):
    """Another run a step's output comes from: who started it, when, and how it went."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(
        allow_null=True, help_text="Null: the user is deleted, or an endpoint call started it."
    )
    origin = RunOriginSerializer(
        allow_null=True, help_text="The endpoint call that started it; null if started directly."
    )
    status = serializers.ChoiceField(choices=RunStatus.choices)
    graph = serializers.IntegerField()


class ProgressSerializer(serializers.Serializer):
    """How far a running step is (what its module last reported, value ≤ max)."""

    value = serializers.FloatField()
    max = serializers.FloatField()


DateText = Callable[[Any], str | None]  # None for a missing datetime, as DRF gives it
_DATETIME = serializers.DateTimeField()  # DRF's representation of a datetime, unbound


def datetime_text() -> DateText:
    """DRF's `DateTimeField.to_representation` with the current time zone looked up once (DRF
    looks it up for every value: ~1.5 µs, twice a step); for a list of steps, one request's."""
    zone = _DATETIME.default_timezone()
    if zone is None or str(api_settings.DATETIME_FORMAT).lower() != ISO_8601:
        return _DATETIME.to_representation

    def text(value: Any) -> str | None:
        if not value:
            return None
        if isinstance(value, datetime) and value.utcoffset() is not None:
            try:
                iso = value.astimezone(zone).isoformat()
            except OverflowError:  # DRF's error for it
                return _DATETIME.to_representation(value)
            return iso[:-6] + "Z" if iso.endswith("+00:00") else iso
        return _DATETIME.to_representation(value)  # naive or text: as DRF gives it

    return text


class OneZoneListSerializer(serializers.ListSerializer):
    """A list whose items (steps, runs) are represented with the time zone looked up once."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        items = data.all() if isinstance(data, BaseManager) else data
        text = datetime_text()
        return [self.child.represent(item, text) for item in items]


class StepSerializer(serializers.ModelSerializer):
    """One step of a run: status, attempts, timings, why it ran or was reused, log tail, outputs."""

    status = serializers.CharField(
        read_only=True,
        help_text="pending, queued, running, retrying, succeeded, reused, failed, canceled "
        "or upstream_failed.",
    )
    duration = serializers.SerializerMethodField()
    history = AttemptSerializer(
        many=True, read_only=True, source="attempt_list", help_text="Every attempt, in order."
    )
    progress = json_shaped(ProgressSerializer)(
        allow_null=True, read_only=True, help_text="Null unless it is running and reported some."
    )
    outputs = serializers.DictField(
        child=json_shaped("StepOutput")(), read_only=True, help_text="Output port → its output."
    )

    class Meta:
        model = StepRun
        list_serializer_class = OneZoneListSerializer
        fields = [
            "key",
            "module",
            "status",
            "attempts",
            "reason",
            "progress",
            "outputs",
            "error",
            "log_tail",
            "started_at",
            "finished_at",
            "duration",
            "history",
            "reused_from",
        ]

    def get_duration(self, step: StepRun) -> float | None:
        return _duration(step)

    def to_representation(self, instance: StepRun) -> dict[str, Any]:
        return step_representation(instance, datetime_text())

    def represent(self, instance: StepRun, text: DateText) -> dict[str, Any]:
        return step_representation(instance, text)


def step_representation(step: StepRun, text: DateText) -> dict[str, Any]:
    """A step as `StepSerializer`'s declared fields give it, without DRF's per-field machinery.

    A run's answer lists every step (hundreds on big graphs); the serializer's fields are not
    even built (~0.5 ms a request). Tests pin it to DRF's field-by-field representation.
    """
    return {
        "key": _text(step.key),
        "module": _text(step.module),
        "status": _text(step.status),
        "attempts": _int(step.attempts),
        "reason": _text(step.reason),
        "progress": step.progress,
        "outputs": step.outputs,
        "error": _text(step.error),
        "log_tail": _text(step.log_tail),
        "started_at": text(step.started_at),
        "finished_at": text(step.finished_at),
        "duration": _duration(step),
        "history": step.attempt_list(),
        "reused_from": _text(step.reused_from),
    }


def _duration(step: StepRun) -> float | None:
    if step.started_at and step.finished_at:
        return (step.finished_at - step.started_at).total_seconds()
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class StepPolicySerializer(serializers.Serializer):
    """The retries, backoff and default step timeout a run was started with."""

    retries = serializers.IntegerField(min_value=0)
    backoff = serializers.FloatField(min_value=0, help_text="Seconds before the first retry.")
    timeout = serializers.FloatField(allow_null=True, help_text="Seconds; null: none.")


class RunOptionsSerializer(serializers.Serializer):
    """How a run was started: the cache bypassed or not, from or only a node, its step policy."""

    bypass_cache = serializers.BooleanField()
    from_node = serializers.CharField(allow_null=True)
    only_node = serializers.CharField(allow_null=True)
    policy = StepPolicySerializer(required=False)


# DRF's representations of a run's status and of a boolean (unbound fields)
_STATUS = serializers.ChoiceField(choices=RunStatus.choices)
_BOOLEAN = serializers.BooleanField()


class RunSummarySerializer(serializers.ModelSerializer):
    """A run in a list."""

    parameters = serializers.DictField(
        child=ScalarField(), read_only=True, help_text="The pipeline parameters' values."
    )
    options = json_shaped(RunOptionsSerializer)(read_only=True)
    graph = serializers.IntegerField(source="graph_version.graph_id", read_only=True)
    graph_name = serializers.CharField(source="graph_version.graph.name", read_only=True)
    version = serializers.IntegerField(source="graph_version.number", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    origin = serializers.SerializerMethodField(
        help_text="The endpoint call that started the run; null for a run started directly."
    )

    class Meta:
        model = Run
        fields = [
            "id",
            "workspace",
            "graph",
            "graph_name",
            "version",
            "status",
            "runner",
            "seq",
            "parameters",
            "options",
            "error",
            "resumed_from",
            "pinned",
            "created_by",
            "origin",
            "created_at",
            "started_at",
            "finished_at",
        ]
        list_serializer_class = OneZoneListSerializer

    def to_representation(self, instance: Run) -> dict[str, Any]:
        return self.represent(instance, datetime_text())

    def represent(self, run: Run, text: DateText) -> dict[str, Any]:
        """The run as the declared fields give it, without building them (~0.35 ms a request;
        pinned by tests to DRF's field-by-field representation)."""
        version, user = run.graph_version, run.created_by
        return {
            "id": _int(run.pk),
            "workspace": run.workspace_id,
            "graph": _int(version.graph_id),
            "graph_name": _text(version.graph.name),
            "version": _int(version.number),
            "status": None if run.status is None else _STATUS.to_representation(run.status),
            "runner": _text(run.runner),
            "seq": _int(run.seq),
            "parameters": None
            if run.parameters is None
            else {str(name): value for name, value in run.parameters.items()},
            "options": run.options,
            "error": _text(run.error),
            "resumed_from": run.resumed_from_id,
            "pinned": None if run.pinned is None else _BOOLEAN.to_representation(run.pinned),
            "created_by": None if user is None else user.username,
            "origin": run.endpoint_call,
            "created_at": text(run.created_at),
            "started_at": text(run.started_at),
            "finished_at": text(run.finished_at),
        }

    @extend_schema_field(RunOriginSerializer(allow_null=True))
    def get_origin(self, run: Run) -> dict[str, Any] | None:
        return run.endpoint_call


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class RunSerializer(RunSummarySerializer):
    """A run with its steps, and who started the runs its reused steps came from, and when."""

    steps = StepSerializer(many=True, read_only=True, source="step_list")
    reused_runs = serializers.SerializerMethodField(
        help_text="Run id → the run its reused steps' outputs come from (runs of this workspace)."
    )

    class Meta(RunSummarySerializer.Meta):
        fields = [*RunSummarySerializer.Meta.fields, "steps", "reused_runs"]

    def represent(self, run: Run, text: DateText) -> dict[str, Any]:
        answer = super().represent(run, text)
        answer["steps"] = [step_representation(step, text) for step in run.step_list]
        answer["reused_runs"] = self.get_reused_runs(run)
        return answer

    @extend_schema_field(serializers.DictField(child=RunRefSerializer()))
    def get_reused_runs(self, run: Run) -> dict[str, Any]:
        reused = {step.reused_from for step in run.step_list if step.reused_from}
        return run_rows.refs(run.workspace_id, reused)


class StartRunSerializer(StrictSerializer):
    """Body of starting a run."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Version to run; default: the draft (committed if changed).",
    )
    parameters = serializers.DictField(child=ScalarField(), required=False, default=dict)
    bypass_cache = serializers.BooleanField(required=False, default=False)
    from_node = serializers.CharField(required=False, max_length=200)
    only_node = serializers.CharField(required=False, max_length=200)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("from_node") and attrs.get("only_node"):
            raise serializers.ValidationError("Give from_node or only_node, not both.")
        return attrs


class StartSweepSerializer(StrictSerializer):
    """Body of a parameter sweep: the values to try per pipeline parameter."""

    parameters = serializers.DictField(
        child=serializers.ListField(child=ScalarField(), min_length=1, max_length=25),
        required=False,
        default=dict,
        help_text="Pipeline parameter → the values to try; one run per combination (at most "
        "25 runs). Parameters not named take their defaults (none named: one run).",
    )
    bypass_cache = serializers.BooleanField(required=False, default=False)


class SweepSerializer(serializers.Serializer):
    """The runs a sweep started, one per combination, in order."""

    runs = RunSummarySerializer(many=True)


class InferenceGraphSerializer(StrictSerializer):
    """Body of deriving a real-time inference graph from a run."""

    score_node = serializers.CharField(
        required=False,
        max_length=200,
        help_text="The scoring node to serve (Score model, Assign data to clusters or Score SVD "
        "recommender); needed when the graph has several.",
    )
    name = serializers.CharField(required=False, max_length=200, help_text="The new graph's name.")


class ResumeSerializer(StrictSerializer):
    """Body of "edit and resume": the step to resume from and changed params per node."""

    from_node = serializers.CharField(required=False, max_length=200)
    params = serializers.DictField(
        child=serializers.DictField(child=ParamValueField()),
        required=False,
        default=dict,
        help_text="Node id → param name → its new value.",
    )


class LogLineSerializer(serializers.Serializer):
    """One log line and the stream it came on."""

    stream = serializers.CharField(help_text="log, stdout or stderr.")
    text = serializers.CharField()


class LogSerializer(serializers.Serializer):
    """A page of one attempt's log lines."""

    step = serializers.CharField()
    attempt = serializers.IntegerField()
    attempts = AttemptSerializer(many=True)
    offset = serializers.IntegerField(help_text="The first line's number in the attempt's log.")
    total = serializers.IntegerField(help_text="How many lines the attempt's log has.")
    lines = LogLineSerializer(many=True)
    text = serializers.CharField(help_text="The page's lines as text, stream-prefixed.")


class CutCellSerializer(serializers.Serializer):
    """A cell of a page shown cut: `rows` holds its first 1,000 characters (bytes, if binary),
    or for a list, struct or map the part of it that fits in about as many characters of JSON."""

    row = serializers.IntegerField(help_text="The cell's row in this page (0: the first).")
    column = serializers.IntegerField(
        help_text="The cell's column in this page (0: the first of `columns`)."
    )
    length = serializers.IntegerField(
        allow_null=True,
        help_text="The whole cell's length in characters (bytes); null for a list, struct or "
        "map, which is not read whole to count it.",
    )


class TablePageSerializer(serializers.Serializer):
    """A page of a table: rows from an offset, of columns from a column offset, their names
    and the whole table's column summary."""

    total_rows = serializers.IntegerField()
    offset = serializers.IntegerField()
    limit = serializers.IntegerField(
        help_text="The rows asked for, or fewer where the page's texts (as cut) reached "
        f"{PAGE_CHARS:,} characters: then the rows it holds. The next page starts at "
        "`offset + limit`."
    )
    total_columns = serializers.IntegerField(
        help_text="The table's columns; a page shows at most "
        f"{MAX_COLUMNS} of them (`columns_offset`, `columns_limit`)."
    )
    columns_offset = serializers.IntegerField(help_text="The page's first column (0: the first).")
    columns = serializers.ListField(
        child=serializers.CharField(),
        help_text="The names of the page's columns; past the last, none (and no rows).",
    )
    rows = serializers.ListField(child=serializers.ListField(child=json_shaped("JsonValue")()))
    cut = CutCellSerializer(
        many=True,
        help_text=f"The cells of `rows` longer than {CELL_CHARS:,} characters, shown cut to "
        "them (a CSV download has them whole, a list, struct or map as JSON text), by row.",
    )
    summary = json_shaped("TableSummary")(help_text="The whole table's, not the page's.")


class OutputPreviewSerializer(serializers.Serializer):
    """A preview of one output: a table page for DataFrames, else the value's summary."""

    step = serializers.CharField()
    port = serializers.CharField()
    digest = serializers.CharField()
    table = TablePageSerializer(required=False, help_text="A page of a table (kind parquet).")
    kind = serializers.ChoiceField(choices=KINDS)
    value = json_shaped("JsonValue")(
        required=False, help_text="The whole value of a JSON output (kind json)."
    )
    summary = json_shaped("OutputSummary")()


class DatasetWriterSerializer(serializers.Serializer):
    """The run step that wrote a dataset version."""

    run = serializers.IntegerField()
    step = serializers.CharField(help_text="The node id.")
    label = serializers.CharField(help_text="The node's label when the run wrote it.")


class DatasetVersionSerializer(serializers.ModelSerializer):
    """One content-addressed version of a dataset."""

    created_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Who uploaded it (or sent it to an endpoint); null when a run wrote it or a "
        "key or schedule sent it.",
    )
    columns = serializers.ListField(child=serializers.CharField(), read_only=True)
    summary = json_shaped("TableSummary")(read_only=True)
    written_by = serializers.SerializerMethodField()
    sent_by = serializers.SerializerMethodField()

    class Meta:
        model = DatasetVersion
        fields = [
            "digest",
            "size",
            "rows",
            "columns",
            "summary",
            "original_filename",
            "created_by",
            "created_at",
            "written_by",
            "sent_by",
        ]

    @extend_schema_field(
        RunOriginSerializer(
            allow_null=True, help_text="The endpoint call that sent it as a file; null: none."
        )
    )
    def get_sent_by(self, version: DatasetVersion) -> dict[str, Any] | None:
        return version.origin or None

    @extend_schema_field(DatasetWriterSerializer(allow_null=True))
    def get_written_by(self, version: DatasetVersion) -> dict[str, Any] | None:
        if version.written_by_run_id is None:  # an upload, or its run was deleted
            return None
        return {
            "run": version.written_by_run_id,
            "step": version.written_by_step,
            "label": version.written_by_label or version.written_by_step,
        }


class DatasetSerializer(serializers.ModelSerializer):
    """A dataset with its latest version."""

    latest = serializers.SerializerMethodField()
    version_count = serializers.SerializerMethodField()

    class Meta:
        model = Dataset
        fields = [
            "id",
            "workspace",
            "name",
            "description",
            "created_at",
            "archived",
            "latest",
            "version_count",
        ]

    @extend_schema_field(DatasetVersionSerializer(allow_null=True))
    def get_latest(self, dataset: Dataset) -> dict[str, Any] | None:
        latest = dataset.versions.order_by("-created_at", "-id").first()
        return DatasetVersionSerializer(latest).data if latest else None

    def get_version_count(self, dataset: Dataset) -> int:
        return dataset.versions.count()


class CsvDialectSerializer(serializers.Serializer):
    """How a CSV upload was read: each part as chosen or as detected."""

    encoding = serializers.CharField(help_text="The codec name, e.g. `utf-8` or `cp1252`.")
    separator = serializers.ChoiceField(choices=list(SEPARATORS))
    decimal = serializers.ChoiceField(choices=list(DECIMALS))


class DatasetUploadedSerializer(DatasetVersionSerializer):
    """The answer to an upload: the version it made, its dataset, and how a CSV file was read."""

    dataset = DatasetSerializer(read_only=True)
    read_as = serializers.SerializerMethodField()

    class Meta(DatasetVersionSerializer.Meta):
        fields = ["dataset", *DatasetVersionSerializer.Meta.fields, "read_as"]

    @extend_schema_field(CsvDialectSerializer(allow_null=True))
    def get_read_as(self, version: DatasetVersion) -> dict[str, str] | None:
        dialect = self.context["dialect"]
        return None if dialect is None else dialect.described()


class CsvChoiceField(serializers.ChoiceField):
    """One of an upload's CSV choices: `auto` unless given, a form's empty field read as `auto`."""

    def __init__(self, choices: Iterable[str], help_text: str) -> None:
        super().__init__(
            choices=[AUTO, *choices], default=AUTO, allow_blank=True, help_text=help_text
        )

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(data) or AUTO


class DatasetUploadSerializer(StrictSerializer):
    """Body of uploading a dataset version (multipart)."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    file = serializers.FileField(help_text="A CSV or Parquet file.")
    encoding = serializers.CharField(
        max_length=40,
        default=AUTO,
        allow_blank=True,
        help_text="A CSV file's text encoding, e.g. `utf-8`, `cp1252`, `iso-8859-1`, `cp1251`; "
        "`auto` (or empty): UTF-8 when the whole file is, UTF-16 by its byte order mark, else "
        "Windows-1252.",
    )
    separator = CsvChoiceField(
        SEPARATORS,
        "A CSV file's field separator; `auto` (or empty) detects it from the first 64 KiB.",
    )
    decimal = CsvChoiceField(
        DECIMALS,
        "A CSV file's decimal mark; `auto` (or empty): a comma when the separator is not one and "
        "the numbers are written with a decimal comma.",
    )

    def validate_name(self, value: str) -> str:
        if not DATASET_NAME.match(value) or ".." in value:
            raise serializers.ValidationError(
                "Use letters, digits, '.', '_' and '-', starting with a letter or digit."
            )
        return value

    def validate_encoding(self, value: str) -> str:
        if value in ("", AUTO):  # a form's empty field: detect
            return AUTO
        try:
            return codec(value)
        except LookupError:
            raise serializers.ValidationError(f"{value!r} is not a text encoding.") from None


class DatasetUsageSerializer(serializers.Serializer):
    """A run that read a dataset version, and the step that read it."""

    run = serializers.IntegerField()
    step = serializers.CharField(help_text="The node id.")
    label = serializers.CharField(help_text="The node's label when the run read it.")
    status = serializers.CharField()
    graph = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class RunUpdateSerializer(StrictSerializer):
    """Body of changing a run: pin it (kept whatever the retention setting) or unpin it."""

    pinned = serializers.BooleanField()


class PlanStepSerializer(serializers.Serializer):
    """One step of a plan, in order: what it is, and what a run does (or did) with it."""

    key = serializers.CharField()
    label = serializers.CharField(help_text="The node's label, else its module's name.")
    module = serializers.CharField()
    order = serializers.IntegerField()
    mode = serializers.ChoiceField(
        choices=["auto", "run"], help_text="auto (the cache decides) or run (forced)."
    )
    action = serializers.ChoiceField(
        choices=["reuse", "run", "after"], help_text="reuse, run, or after (decided later)."
    )
    status = serializers.CharField(required=False, help_text="What it did (a run's plan).")
    reason = serializers.CharField()
    fingerprint = serializers.CharField(help_text="Its cache key ('' while unknown).")
    reused_from = serializers.CharField(allow_null=True)
    after = serializers.ListField(child=serializers.CharField())
    dependencies = serializers.ListField(child=serializers.CharField())
    params = serializers.DictField(
        child=ParamValueField(), help_text="Param name → value (pipeline parameters resolved)."
    )
    timeout = serializers.FloatField(allow_null=True)
    retries = serializers.IntegerField(allow_null=True)
    image = serializers.CharField(allow_null=True)


class PlanTargetSerializer(serializers.Serializer):
    """What a plan runs: the whole graph, from a node on, or only a node."""

    mode = serializers.ChoiceField(choices=["all", "from", "only"])
    node = serializers.CharField(allow_null=True, help_text="Null when the mode is all.")


class PlanCountsSerializer(serializers.Serializer):
    """How many steps of a plan reuse, run, or wait for others (after)."""

    reuse = serializers.IntegerField(min_value=0)
    run = serializers.IntegerField(min_value=0)
    after = serializers.IntegerField(min_value=0)


class PlanSerializer(serializers.Serializer):
    """A compiled plan step by step, and the runs its reused steps come from."""

    target = PlanTargetSerializer()
    parameters = serializers.DictField(
        child=ScalarField(), help_text="The pipeline parameters' values it runs with."
    )
    counts = PlanCountsSerializer()
    steps = PlanStepSerializer(many=True)
    runs = serializers.DictField(child=RunRefSerializer(), help_text="Run id → that run.")


class CompareRunSerializer(serializers.Serializer):
    """One side of a comparison: the run, its graph version and what it ran with."""

    id = serializers.IntegerField()
    version = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=RunStatus.choices)
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_null=True)
    origin = RunOriginSerializer(allow_null=True)
    parameters = serializers.DictField(child=ScalarField())
    bypass_cache = serializers.BooleanField()


class OlderNewerSerializer(serializers.Serializer):
    """A step's value in the older and the newer run (null where it did not run)."""

    older = serializers.CharField(allow_null=True)
    newer = serializers.CharField(allow_null=True)


@extend_schema_field(
    {
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"type": "string"}},
        "additionalProperties": True,
        "description": "One reason: its kind (param, upstream, dataset, image, added, "
        "removed, not_run…) and the fields that kind names (old, new, name, port, source…).",
    }
)
class ReasonField(serializers.JSONField):
    """Why a step's key changed: its kind and the kind's own fields."""


class CompareStepSerializer(serializers.Serializer):
    """A step of either run: whether its key changed, why, and which outputs differ."""

    key = serializers.CharField()
    label = serializers.CharField()
    module = OlderNewerSerializer()
    status = OlderNewerSerializer()
    fingerprint = OlderNewerSerializer()
    changed = serializers.BooleanField()
    why = serializers.ListField(child=ReasonField())
    outputs_changed = serializers.ListField(child=serializers.CharField())


class MetricOfStepSerializer(serializers.Serializer):
    """Which metric of which step's output, and in which direction it is better."""

    step = serializers.CharField()
    label = serializers.CharField()
    port = serializers.CharField()
    input = serializers.CharField(allow_null=True, help_text="The scored input, when several.")
    name = serializers.CharField()
    better = serializers.ChoiceField(
        choices=["higher", "lower"], allow_null=True, help_text="Null: no known direction."
    )


class CompareMetricSerializer(MetricOfStepSerializer):
    """A metric of a step's output in both runs, and how it moved (newer - older)."""

    older = serializers.FloatField(allow_null=True)
    newer = serializers.FloatField(allow_null=True)
    delta = serializers.FloatField(allow_null=True)
    improved = serializers.BooleanField(allow_null=True)


class RunMetricSerializer(MetricOfStepSerializer):
    """One metric a run's evaluating step reported."""

    value = serializers.FloatField(allow_null=True)


class RunMetricsSerializer(serializers.Serializer):
    """A finished run of a graph with every metric its evaluating steps reported."""

    run = RunSummarySerializer(source="*")
    metrics = serializers.SerializerMethodField()

    @extend_schema_field(RunMetricSerializer(many=True))
    def get_metrics(self, run: Run) -> list[dict[str, Any]]:
        return list(self.context["metrics"].of(run))


class CompareSerializer(serializers.Serializer):
    """Two runs of a graph step by step, older first whatever the order asked."""

    workspace = serializers.IntegerField()
    graph = serializers.IntegerField()
    graph_name = serializers.CharField()
    older = CompareRunSerializer()
    newer = CompareRunSerializer()
    steps = CompareStepSerializer(many=True)
    metrics = CompareMetricSerializer(many=True)


class StorageSerializer(serializers.Serializer):
    """The storage a workspace uses, in bytes."""

    runs = serializers.IntegerField()
    artifacts_bytes = serializers.IntegerField(help_text="Its runs' outputs, each stored once.")
    logs_bytes = serializers.IntegerField()
    datasets_bytes = serializers.IntegerField()
    total_bytes = serializers.IntegerField()
    quota_bytes = serializers.IntegerField(
        allow_null=True,
        help_text="What the workspace may keep (DESIGNER_WORKSPACE_STORAGE_MB); at or over it, "
        "uploads and run starts are refused. Null: no quota.",
    )


class InferredColumnSerializer(serializers.Serializer):
    """A column of a node's output table, inferred without running."""

    name = serializers.CharField(allow_blank=True)
    dtype = serializers.CharField(
        allow_blank=True, help_text="The pandas dtype (int64, float64, object…); blank: unknown."
    )


class NodeColumnsSerializer(serializers.Serializer):
    """The columns of every node's table outputs known before running anything."""

    nodes = serializers.DictField(
        child=serializers.DictField(
            child=serializers.ListField(child=InferredColumnSerializer(), allow_null=True)
        ),
        help_text="Node id → output port → its columns; null where only running the upstream "
        "will tell.",
    )
