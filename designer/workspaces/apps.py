"""Django app configuration for designer.workspaces."""

from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    """The workspaces app."""

    name = "designer.workspaces"
    label = "workspaces"
