"""Activity entries: who did what to a workspace's access and published surface, and when."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from designer.workspaces.models import Workspace


class Action(models.TextChoices):
    """What was done (decision 0075 says why these and no others)."""

    WORKSPACE_RENAMED = "workspace_renamed", "Workspace renamed"
    MEMBER_ADDED = "member_added", "Member added"
    MEMBER_REMOVED = "member_removed", "Member removed"
    MEMBER_ROLE_CHANGED = "member_role_changed", "Member's role changed"
    MEMBER_JOINED = "member_joined", "Member joined by invitation"
    MEMBER_LEFT = "member_left", "Member left"
    INVITATION_SENT = "invitation_sent", "Invitation sent"
    INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
    ENDPOINT_PUBLISHED = "endpoint_published", "Endpoint published"
    ENDPOINT_VERSION_PUBLISHED = "endpoint_version_published", "Endpoint version published"
    ENDPOINT_CHANGED = "endpoint_changed", "Endpoint changed"
    ENDPOINT_DELETED = "endpoint_deleted", "Endpoint deleted"
    KEY_CREATED = "key_created", "Endpoint key created"
    KEY_REVOKED = "key_revoked", "Endpoint key revoked"
    SCHEDULE_CREATED = "schedule_created", "Schedule created"
    SCHEDULE_CHANGED = "schedule_changed", "Schedule changed"
    SCHEDULE_DELETED = "schedule_deleted", "Schedule deleted"
    GRAPH_DELETED = "graph_deleted", "Pipeline deleted"
    DATASET_DELETED = "dataset_deleted", "Dataset deleted"
    DATASET_ARCHIVED = "dataset_archived", "Dataset archived"


class TargetKind(models.TextChoices):
    """What an action was done to."""

    WORKSPACE = "workspace", "Workspace"
    MEMBER = "member", "Member"
    INVITATION = "invitation", "Invitation"
    ENDPOINT = "endpoint", "Endpoint"
    KEY = "key", "Endpoint key"
    SCHEDULE = "schedule", "Schedule"
    GRAPH = "graph", "Pipeline"
    DATASET = "dataset", "Dataset"


class AppendOnly(Exception):
    """An activity entry was about to be changed or deleted on its own."""


class ActivityEntry(models.Model):
    """One action in a workspace, with names as they were then (the target may be gone since).

    Written once, in the transaction of the action (`designer.activity.log.record`); never
    changed or deleted except with its workspace.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="activity")
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=40, choices=Action.choices)
    target_kind = models.CharField(max_length=20, choices=TargetKind.choices)
    target_id = models.BigIntegerField(null=True)
    target_name = models.CharField(max_length=200, blank=True, default="")
    details = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-id"], name="activity_newest_first")]

    def __str__(self) -> str:
        return f"{self.actor_name or 'someone'} {self.action} {self.target_kind} {self.target_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Add the entry; an entry already written is never changed."""
        if not self._state.adding:
            raise AppendOnly("Activity entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Refuse: entries go only with their workspace."""
        raise AppendOnly("Activity entries go only with their workspace.")
