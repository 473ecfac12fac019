"""Django app configuration for designer.endpoints."""

from django.apps import AppConfig


class EndpointsConfig(AppConfig):
    """The endpoints app."""

    name = "designer.endpoints"
    label = "endpoints"
