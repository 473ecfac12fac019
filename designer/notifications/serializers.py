"""API shapes of watching a pipeline."""

from __future__ import annotations

from rest_framework import serializers

from designer.notifications.models import WatchScope
from designer.workspaces.serializers import StrictSerializer


class WatchSerializer(serializers.Serializer):
    """The caller's watch of a pipeline (the defaults when not watching), and whether a mail
    can reach them."""

    watching = serializers.BooleanField(help_text="Whether the caller watches this pipeline.")
    scope = serializers.ChoiceField(
        choices=WatchScope.choices,
        help_text="Which failed runs: `all`, or `others` (not the runs you started directly).",
    )
    recovered = serializers.BooleanField(
        help_text="Also a mail when a run succeeds after the pipeline's last run failed."
    )
    has_email = serializers.BooleanField(
        help_text="Whether the caller has an e-mail address to be told at (set it on /api/me/)."
    )
    mail_enabled = serializers.BooleanField(
        help_text="Whether this server sends mail at all (EMAIL_HOST is set)."
    )


class WatchChangeSerializer(StrictSerializer):
    """Body of watching a pipeline (or changing what the watch tells): the whole watch, as PUT
    replaces it (GET gives the defaults to send: `others`, `true`)."""

    scope = serializers.ChoiceField(
        choices=WatchScope.choices,
        help_text="Which failed runs: `all`, or `others` (not the runs you started directly).",
    )
    recovered = serializers.BooleanField(
        help_text="Also a mail when a run succeeds after the pipeline's last run failed."
    )
