"""Django app configuration for designer.workspaces."""

from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    """The workspaces app."""

    name = "designer.workspaces"
    label = "workspaces"

    def ready(self) -> None:
        """Register the `<id:...>` URL converter, the OpenAPI token scheme and the signal that
        ends a user's session sockets."""
        from designer.workspaces import converters, schema, signals  # noqa: F401
