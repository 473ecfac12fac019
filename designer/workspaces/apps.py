"""Django app configuration for designer.workspaces."""

from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    """The workspaces app."""

    name = "designer.workspaces"
    label = "workspaces"

    def ready(self) -> None:
        """Register the `<id:...>` URL converter and the OpenAPI token scheme."""
        from designer.workspaces import converters, schema  # noqa: F401
