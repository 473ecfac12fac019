"""Django app configuration for designer.graphs."""

from django.apps import AppConfig


class GraphsConfig(AppConfig):
    """The graphs app."""

    name = "designer.graphs"
    label = "graphs"
