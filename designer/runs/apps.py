"""Django app configuration for designer.runs."""

from django.apps import AppConfig


class RunsConfig(AppConfig):
    """The runs app."""

    name = "designer.runs"
    label = "runs"
