"""Watches (a member asks to be told about a pipeline's runs) and the notices sent per run."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from designer.graphs.models import Graph
from designer.runs.models import Run


class WatchScope(models.TextChoices):
    """Which failed runs a watcher is told about."""

    ALL = "all"  # every run of the pipeline
    OTHERS = "others"  # not the runs the watcher started directly (the canvas or their token)


class Watch(models.Model):
    """A member watching a pipeline: a mail when one of its runs fails (and when it recovers)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches"
    )
    graph = models.ForeignKey(Graph, on_delete=models.CASCADE, related_name="watches")
    scope = models.CharField(max_length=8, choices=WatchScope.choices, default=WatchScope.OTHERS)
    recovered = models.BooleanField(default=True)  # also tell when a failing pipeline succeeds
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "graph"], name="one_watch_per_user_and_graph")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.graph_id}"


class NoticeKind(models.TextChoices):
    """What a run's notice says."""

    FAILED = "failed"
    RECOVERED = "recovered"


class RunNotice(models.Model):
    """The one notice of a finished run (its row is the claim: a run is never mailed twice)."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="notice")
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    # mails handed to the mail server (0: none, as for a failure held back while its pipeline
    # kept failing, notices.FAILING_GAP)
    recipients = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")  # why sending failed, if it did
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"run {self.run_id} {self.kind} ({self.recipients})"
