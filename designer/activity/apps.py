"""Django app configuration for designer.activity."""

from django.apps import AppConfig


class ActivityConfig(AppConfig):
    """The activity app."""

    name = "designer.activity"
    label = "activity"
