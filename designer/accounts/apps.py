"""Django app configuration for designer.accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The accounts app: confirmed e-mail addresses, invitations by e-mail, two-factor sign-in."""

    name = "designer.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib import admin

        from designer.accounts.sign_in import AdminSignInForm

        admin.site.login_form = AdminSignInForm
