"""API shape of an activity entry."""

from __future__ import annotations

from rest_framework import serializers

from designer.activity.models import ActivityEntry


class ActivityEntrySerializer(serializers.ModelSerializer):
    """One action: when, who (`actor` is null once that user is deleted; `actor_name` stays),
    what, on which target (its name as it was then) and what changed."""

    details = serializers.DictField(
        read_only=True,
        help_text="What changed, by action: e.g. {from, to} of a role or a name, the endpoint "
        "of a key or schedule, `changes` as {field: {from, to}}. Never a secret.",
    )

    class Meta:
        model = ActivityEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_name",
            "action",
            "target_kind",
            "target_id",
            "target_name",
            "details",
        ]
