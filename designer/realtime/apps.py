"""Django app configuration for designer.realtime."""

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """The realtime app."""

    name = "designer.realtime"
    label = "realtime"
