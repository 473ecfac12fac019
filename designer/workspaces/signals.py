"""A password change or a deactivated account ends the user's session sockets on every server."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from designer.realtime.broadcast import end_user_sessions


@receiver(post_save, sender=get_user_model(), dispatch_uid="designer.workspaces.user_saved")
def user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Sessions signed in before a password change, and any of an inactive user, are no longer
    valid (Django checks each request); their open sockets close now too."""
    if created:
        return
    # set_password() keeps the raw password on the instance until the save that stores it ends
    if getattr(instance, "_password", None) is not None:
        end_user_sessions(instance.pk, "Your password was changed: sign in again.")
    elif not instance.is_active:
        end_user_sessions(instance.pk, "Your account was deactivated.")
