"""Django app configuration for designer.pages."""

from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The pages app."""

    name = "designer.pages"
    label = "pages"
