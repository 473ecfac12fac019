"""Endpoints (published graph versions), their keys, the calls made to them, and schedules.

An Endpoint is what callers address; each EndpointVersion pins one GraphVersion, and the
endpoint's default version answers calls that name none. Keys are separate from personal API
tokens: they invoke, and read only the invocations they started. The models are shared by
both kinds of endpoint (`kind`): a pipeline endpoint starts a run of its version per call; a
real-time endpoint pins inference graph versions compiled into scorers that the scoring
process serves (a traffic split may send a share of its calls to a second version), and its
calls are counted per version and minute (ScoringMinute) with their last errors (ScoringError).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from designer.graphs.models import Graph, GraphVersion
from designer.runs.models import Run
from designer.workspaces.models import Workspace


class EndpointKind(models.TextChoices):
    """What an endpoint serves: a run of its version per call, or JSON rows scored at once."""

    PIPELINE = "pipeline"
    REALTIME = "realtime"


class ExtraColumns(models.TextChoices):
    """What a real-time endpoint does with request columns its input schema does not name."""

    IGNORE = "ignore"
    REFUSE = "refuse"


class Endpoint(models.Model):
    """A named, published entry point of a workspace; calls go to its default version."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="endpoints")
    graph = models.ForeignKey(Graph, on_delete=models.PROTECT, related_name="endpoints")
    kind = models.CharField(max_length=16, choices=EndpointKind.choices)
    name = models.CharField(max_length=63)  # a slug: lower-case letters, digits, dashes
    description = models.TextField(blank=True, default="")
    enabled = models.BooleanField(default=True)
    default_version = models.ForeignKey(
        "EndpointVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # real-time endpoints: `split_percent` % of calls go to `split_version`, the rest to the default
    split_version = models.ForeignKey(
        "EndpointVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    split_percent = models.PositiveSmallIntegerField(default=0)
    extra_columns = models.CharField(
        max_length=8, choices=ExtraColumns.choices, default=ExtraColumns.IGNORE
    )
    capture_errors = models.BooleanField(default=False)  # keep failed calls' bodies (capped)
    # pipeline endpoints: the registered datasets (names) that calls by key may name as inputs
    key_datasets = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_endpoint_name_per_ws")
        ]

    def __str__(self) -> str:
        return self.name


class EndpointVersion(models.Model):
    """One published version of an endpoint: a graph version and the interface derived from it.

    `interface` = {"parameters": {name: {type, default, description, required}},
    "inputs": [{name, node, title, required}], "outputs": [{name, node, port, title}]} (all
    empty for a real-time version, whose contract is its scorer's). `scoring`: a real-time
    version's `Scorer.info()` when it was deployed (runtime and why, schemas, examples);
    `bundle`: the digest of its scorer's bundle in the artifact store (empty until deployed).
    """

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    graph_version = models.ForeignKey(
        GraphVersion, on_delete=models.PROTECT, related_name="endpoint_versions"
    )
    interface = models.JSONField()
    scoring = models.JSONField(null=True, blank=True)
    bundle = models.CharField(max_length=64, blank=True, default="")
    message = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "number"], name="one_number_per_endpoint")
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} v{self.number}"


class EndpointKey(models.Model):
    """A key that invokes one endpoint, or every endpoint of a workspace (`endpoint` null).

    Stored as a SHA-256 hash (shown once). `rate_per_minute` is enforced with one GCRA budget
    per key shared by the web server and the scoring processes (`endpoints/keys.py`, decision
    0031); `rate_tat`, where that budget lived before, is no longer read or written (to be
    dropped by this app's next migration).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="endpoint_keys")
    endpoint = models.ForeignKey(
        Endpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="keys"
    )
    name = models.CharField(max_length=200)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    rate_per_minute = models.PositiveIntegerField(default=60)
    rate_tat = models.FloatField(default=0.0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def allows(self, endpoint: Endpoint) -> bool:
        """Whether this key may invoke `endpoint`."""
        return self.workspace_id == endpoint.workspace_id and self.endpoint_id in (
            None,
            endpoint.pk,
        )


class MissedFires(models.TextChoices):
    """What a schedule does with fire times that passed while no scheduler was running."""

    RUN_ONCE = "run_once", "Run once for all missed fire times"
    SKIP = "skip", "Skip missed fire times"


class Schedule(models.Model):
    """Calls an endpoint on a cron expression in a time zone, with fixed parameters and inputs.

    `version` null means the endpoint's default version at each fire. `next_fire_at` is the
    next fire time not yet handled (UTC), which the scheduler looks for.
    """

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="schedules")
    version = models.ForeignKey(
        EndpointVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    cron = models.CharField(max_length=100)
    timezone = models.CharField(max_length=64, default="UTC")
    parameters = models.JSONField(default=dict)
    inputs = models.JSONField(default=dict)  # name -> {"dataset", "version"?}: registered data
    missed = models.CharField(
        max_length=10, choices=MissedFires.choices, default=MissedFires.RUN_ONCE
    )
    enabled = models.BooleanField(default=True)
    next_fire_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.endpoint} at {self.cron!r} ({self.timezone})"


def caller_label(key: Any, schedule_id: int | None, user: Any) -> dict[str, str]:
    """Who made a call, as its endpoint's history and its run show it: a key, schedule or user."""
    if key is not None:
        return {"kind": "key", "name": f"{key.name} ({key.prefix}…)"}
    if schedule_id is not None:
        return {"kind": "schedule", "name": f"schedule {schedule_id}"}
    return {"kind": "user", "name": user.username if user else "(deleted user)"}


class Invocation(models.Model):
    """One call of an endpoint version and the run it started; made by a key, user or schedule."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="invocations")
    version = models.ForeignKey(
        EndpointVersion, on_delete=models.CASCADE, related_name="invocations"
    )
    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="invocation")
    key = models.ForeignKey(
        EndpointKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="invocations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    schedule = models.ForeignKey(
        Schedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="invocations"
    )
    idempotency_key = models.CharField(max_length=255, blank=True, default="")
    request_digest = models.CharField(max_length=64)  # what was asked: a retry must match it
    inputs = models.JSONField(default=dict)  # name -> {"dataset", "version", "source"}
    created_at = models.DateTimeField(default=timezone.now)  # its run's creation: when it came

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "created_at"], name="invocation_by_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "key", "idempotency_key"],
                condition=~models.Q(idempotency_key="") & models.Q(key__isnull=False),
                name="one_call_per_key_idempotency_key",
            ),
            models.UniqueConstraint(
                fields=["endpoint", "user", "idempotency_key"],
                condition=~models.Q(idempotency_key="") & models.Q(user__isnull=False),
                name="one_call_per_user_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"call {self.pk} of {self.endpoint_id} (run {self.run_id})"


class ScheduleFire(models.Model):
    """A schedule's fire time, claimed once: the unique row makes each fire happen exactly once."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="fires")
    fire_time = models.DateTimeField()
    invocation = models.OneToOneField(
        Invocation, null=True, blank=True, on_delete=models.SET_NULL, related_name="fire"
    )
    error = models.TextField(blank=True, default="")  # why no call was made (e.g. disabled)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-fire_time"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "fire_time"], name="one_fire_per_time")
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} at {self.fire_time:%Y-%m-%d %H:%M}"


class ScoringMinute(models.Model):
    """One scoring process's calls of one real-time version in one minute.

    Written by the collector from the processes' stats files with set semantics (a process's
    file always holds its whole minute), so collecting twice changes nothing. `latency` is a
    histogram {bucket: calls} in `serving.stats` buckets; `inputs` sums the numeric inputs of
    up to `serving.stats.SAMPLED_ROWS` rows per scored call (for input drift).
    """

    version = models.ForeignKey(
        EndpointVersion, on_delete=models.CASCADE, related_name="scoring_minutes"
    )
    minute = models.DateTimeField()
    process = models.CharField(max_length=160)
    calls = models.PositiveIntegerField()
    errors = models.PositiveIntegerField()
    rows = models.PositiveBigIntegerField()
    latency = models.JSONField(default=dict)
    inputs = models.JSONField(default=dict)  # {column: [values, sum, sum of squares]}, sampled

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "minute", "process"], name="one_row_per_version_minute_process"
            )
        ]
        indexes = [models.Index(fields=["minute"], name="scoring_minute_by_time")]

    def __str__(self) -> str:
        return f"v{self.version_id} {self.minute:%Y-%m-%d %H:%M} {self.process}: {self.calls}"


class ScoringError(models.Model):
    """A failed call of a real-time version, with its request body when the endpoint captures
    them (capped at `serving.stats.BODY_CAP` bytes)."""

    version = models.ForeignKey(
        EndpointVersion, on_delete=models.CASCADE, related_name="scoring_errors"
    )
    ident = models.CharField(max_length=200, unique=True)  # process and its error number
    time = models.DateTimeField()
    code = models.CharField(max_length=64)
    detail = models.TextField()
    issues = models.JSONField(default=list)
    input = models.TextField(null=True, blank=True)  # null: not captured
    input_truncated = models.BooleanField(default=False)

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"v{self.version_id} {self.time:%Y-%m-%d %H:%M:%S} {self.code}"
