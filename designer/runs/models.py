"""Runs, their steps and append-only event log; datasets and their content-addressed versions."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models

from designer.graphs.models import GraphVersion
from designer.workspaces.models import Workspace

ATTEMPT_FIELDS = ("attempt", "status", "started_at", "finished_at", "error", "lines")


class RunStatus(models.TextChoices):
    """Where a run is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class StepStatus(models.TextChoices):
    """Where a step is in its life; the last five are final."""

    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    REUSED = "reused"
    FAILED = "failed"
    CANCELED = "canceled"
    UPSTREAM_FAILED = "upstream_failed"


class Run(models.Model):
    """One execution of a graph version; `seq` is the last event number handed out."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="runs")
    graph_version = models.ForeignKey(GraphVersion, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    parameters = models.JSONField(default=dict)  # pipeline parameter values for this run
    options = models.JSONField(default=dict)  # {"bypass_cache", "from_node", "only_node", ...}
    # the compiled engine plan (`plan`): shared with the runs of the same plan (decision 0038),
    # or, for a run saved before plans were shared, inline in the run's row
    inline_plan = models.JSONField(default=dict, db_column="plan")
    shared_plan = models.ForeignKey(
        "SharedPlan", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    seq = models.BigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    runner = models.CharField(max_length=16, default="local")  # "local" or "celery"
    pinned = models.BooleanField(default=False)  # kept by the artifact retention
    # Celery runs: when (epoch, the database's clock) a deadline or a retry falls due
    wake_at = models.FloatField(null=True, blank=True, db_index=True)
    resumed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resumptions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # what started the run when it was not started directly: an endpoint's call
    # {"endpoint": id, "endpoint_name", "caller": {"kind", "name"}}, as it was at the call
    origin = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # a run finished in the request that created it, every step reused (decision 0038): its
    # steps and event log are one RunRecord, not StepRun and RunEvent rows
    stored_inline = models.BooleanField(default=False)
    # a Celery run's broker priority (0 first … 9): its workspace's queued and running runs when
    # it was created (runs/priority.py, decision 0082)
    priority = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(  # the few active runs of a workspace (runs/priority.py)
                fields=["workspace"],
                condition=models.Q(status__in=("queued", "running")),
                name="run_active_in_workspace",
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"

    @property
    def plan(self) -> dict[str, Any]:
        """The compiled engine plan this run executes (`Plan.to_dict()`)."""
        if self.shared_plan_id is not None:
            return self.shared_plan.plan  # type: ignore[union-attr]
        return self.inline_plan  # type: ignore[no-any-return]

    @plan.setter
    def plan(self, value: dict[str, Any]) -> None:
        self.inline_plan, self.shared_plan = value, None

    @property
    def endpoint_call(self) -> dict[str, Any] | None:
        """The endpoint call that started the run (`origin`), or None: started directly."""
        return self.origin or None

    @cached_property
    def step_list(self) -> list[StepRun]:
        """The run's steps in order, read once (a run finished in the request that created it
        is given the steps it was saved with; a run stored inline, its record's steps)."""
        if self.stored_inline:
            from designer.runs.records import record_steps

            return record_steps(self)
        return list(self.steps.all())


class StepRun(models.Model):
    """One step (graph node) of a run."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(max_length=200)  # the plan's step key (the node id)
    module = models.CharField(max_length=200)  # "name@version"
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING)
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    reason = models.TextField(blank=True, default="")  # why it ran or was reused
    attempts = models.PositiveIntegerField(default=0)
    progress = models.JSONField(null=True, blank=True)  # {"value": v, "max": m}
    outputs = models.JSONField(default=dict)  # port -> {"digest", "kind", "size", "summary"}
    error = models.TextField(blank=True, default="")
    log_tail = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # one entry per attempt: {"attempt", "status", "started_at", "finished_at", "error",
    # "lines", "bytes"} (the last two: how much of its log file is committed)
    history = models.JSONField(default=list)
    retry_at = models.DateTimeField(null=True, blank=True)  # when a retrying step runs again
    reused_from = models.CharField(max_length=64, blank=True, default="")  # the run it reused

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="one_step_per_key")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.key} ({self.status})"

    def attempt_list(self) -> list[dict[str, Any]]:
        """Every attempt as the API and the snapshot show it (without file bookkeeping)."""
        return [{key: entry[key] for key in ATTEMPT_FIELDS} for entry in self.history]


class RunEvent(models.Model):
    """Append-only log of a run's events; `seq` strictly increases per run from 1."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=40)  # a designer.realtime.protocol message type
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="one_event_per_seq")]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.seq} {self.type}"


class SharedPlan(models.Model):
    """A compiled plan stored once per workspace and content (runs/shared_plans.py), which every
    run of it points at: the reruns of a version with the same values share one row."""

    digest = models.CharField(max_length=64, primary_key=True)  # of the workspace and the plan
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    plan = models.JSONField()

    def __str__(self) -> str:
        return f"plan {self.digest[:12]}"


class RunRecord(models.Model):
    """A run stored inline (`Run.stored_inline`): its steps and its event log as one row.

    `steps`: each step's saved fields but its outputs (runs/records.py); `events`: the log's
    [type, data] in seq order from 1 (the step outputs are read from its `step.output` events).
    Both are JSON text packed by runs/packed.py (not JSONFields: nothing queries inside them,
    and SQLite's JSON_VALID check of ~100 KB was most of the INSERT; decisions 0042, 0112).
    """

    run = models.OneToOneField(Run, on_delete=models.CASCADE, primary_key=True, related_name="+")
    steps = models.BinaryField()
    events = models.BinaryField()

    def __str__(self) -> str:
        return f"run {self.run_id} stored inline"


class Dataset(models.Model):
    """A named data set in a workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    archived = models.BooleanField(default=False)  # hidden from lists; runs that used it keep it

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_dataset_name_per_ws")
        ]

    def __str__(self) -> str:
        return self.name


class DatasetVersion(models.Model):
    """One content-addressed version of a dataset (stored as Parquet)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    digest = models.CharField(max_length=64)
    size = models.BigIntegerField()
    rows = models.BigIntegerField()
    columns = models.JSONField(default=list)
    summary = models.JSONField(default=dict)
    original_filename = models.CharField(max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # the run step that wrote it (an "export data" step); none for uploads
    written_by_run = models.ForeignKey(
        Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="written_versions"
    )
    written_by_step = models.CharField(max_length=200, blank=True, default="")  # the node id
    written_by_label = models.CharField(max_length=200, blank=True, default="")  # its label then
    # the endpoint call that sent it as a file, as Run.origin names one; empty otherwise
    origin = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "digest"], name="one_version_per_digest")
        ]

    def __str__(self) -> str:
        return f"{self.dataset}@{self.digest[:12]}"


class DatasetUsage(models.Model):
    """A run read this dataset version (resolved when the run started)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="dataset_usages")
    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="usages")
    step = models.CharField(max_length=200)
    label = models.CharField(max_length=200, blank=True, default="")  # the node's label then

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "version", "step"], name="one_usage_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.step} used {self.version}"


class CachedResult(models.Model):
    """A workspace's result cache entry (engine.cache.CacheEntry), in the database every host
    shares."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)
    run_id = models.CharField(max_length=64)
    node = models.CharField(max_length=200)
    outputs = models.JSONField()
    created = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "fingerprint"], name="one_entry_per_fingerprint"
            )
        ]

    def __str__(self) -> str:
        return f"{self.fingerprint[:12]} from run {self.run_id}"


class CacheHistory(models.Model):
    """What a node in a scope last ran or was reused with (engine.cache.Previous)."""

    scope = models.CharField(max_length=200)
    node = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    material = models.JSONField()
    run_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "node"], name="one_history_per_node")
        ]

    def __str__(self) -> str:
        return f"{self.scope}/{self.node} at {self.fingerprint[:12]}"
