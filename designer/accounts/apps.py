"""Django app configuration for designer.accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The accounts app: confirming a user's e-mail address, and inviting people by e-mail."""

    name = "designer.accounts"
    label = "accounts"
