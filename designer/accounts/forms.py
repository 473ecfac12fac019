"""The form that makes an account from an invitation: Django's user creation, the address set."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm

from designer.accounts.models import Invitation
from designer.accounts.services import address_taken


class JoinForm(UserCreationForm):  # type: ignore[type-arg]
    """A username and password for the invited address (the link proved it is theirs)."""

    def __init__(self, invitation: Invitation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        if address_taken(self.invitation.email):
            raise forms.ValidationError(
                "An account already has this address: sign in with it to accept the invitation."
            )
        return cleaned

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        user.email = self.invitation.email
        if commit:
            user.save()
        return user
