"""A password change or a deactivated account ends the user's session sockets on every server;
a deactivated account its API-token sockets too."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from designer.realtime.broadcast import disconnect_token, end_user_sessions
from designer.workspaces.models import ApiToken


@receiver(post_save, sender=get_user_model(), dispatch_uid="designer.workspaces.user_saved")
def user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Sessions signed in before a password change, and any of an inactive user, are no longer
    valid (Django checks each request); their open sockets close now too, and so do those of
    an inactive user's API tokens (which sign in only an active user; a password change leaves
    them be)."""
    if created:
        return
    # set_password() keeps the raw password on the instance until the save that stores it ends
    if getattr(instance, "_password", None) is not None:
        end_user_sessions(instance.pk, "Your password was changed: sign in again.")
    elif not instance.is_active:
        reason = "Your account was deactivated."
        end_user_sessions(instance.pk, reason)
        tokens = ApiToken.objects.filter(user_id=instance.pk, revoked_at__isnull=True)
        for token_id in tokens.values_list("pk", flat=True):
            disconnect_token(token_id, reason)
