"""Passwords: Django's change and reset views, the reset only on a server that sends mail.

A reset mails an address at most once per RESET_MAIL_SECONDS (Django's cache: shared through
Redis when REDIS_URL is set, else the one server process's memory; while Redis is unreachable
the page answers 503 and sends nothing), sends from one background thread (an address with an
account is answered about as fast as one without), links to DESIGNER_PUBLIC_URL when set, and
lifts the sign-in lockout of the username it reset.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from axes.utils import reset as reset_lockout
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from redis import RedisError

from designer.notifications import outbox
from designer.notifications.sender import mail_on

logger = logging.getLogger(__name__)
RESET_MAIL_SECONDS = 300  # an address gets at most one reset mail in this time


def throttle_key(email: str) -> str:
    """The cache key that holds back the next reset mail to an address (in any letter case)."""
    return "password-reset-mail:" + hashlib.sha256(email.casefold().encode()).hexdigest()


class ResetForm(PasswordResetForm):
    """Django's reset form, throttled per address, its mail sent from the background thread."""

    def get_users(self, email: str) -> Iterator[Any]:
        """The active accounts with a usable password at this address (Django's choice), none
        when the address had a reset mail asked for in the last RESET_MAIL_SECONDS. Every address
        is counted, with an account or not, so that no answer tells which have one."""
        if cache.add(throttle_key(email), True, RESET_MAIL_SECONDS):
            yield from super().get_users(email)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Queue the mail, its link on DESIGNER_PUBLIC_URL when set (as run notices' links),
        else on the address the request came to (a Host that ALLOWED_HOSTS let in)."""
        server = settings.DESIGNER_PUBLIC_URL or f"{context['protocol']}://{context['domain']}"
        path = reverse(
            "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        hours = settings.PASSWORD_RESET_TIMEOUT // 3600
        context = {**context, "server": server, "link": f"{server}{path}", "hours": hours}
        send = super().send_mail  # renders, sends, and logs a failure (never raises)
        outbox.send_later(
            send,
            subject_template_name,
            email_template_name,
            context,
            from_email,
            to_email,
            html_email_template_name,
        )


class ResetView(auth_views.PasswordResetView):
    """Django's reset page; while the cache that throttles its mails is unreachable it sends
    nothing and answers 503, saying to try again in a few minutes (not a 500)."""

    form_class = ResetForm

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        try:
            return super().form_valid(form)
        except RedisError as exc:
            logger.warning("no reset mail sent: the cache is unreachable (%s)", exc)
            return render(self.request, "registration/password_reset_unavailable.html", status=503)


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's: the link sets the password once; then the username's sign-in lockout is lifted."""

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        reset_lockout(username=form.user.get_username())
        return response


def needs_mail(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A reset page that, on a server that sends no mail, says to ask an administrator instead."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not mail_on():
            return render(request, "registration/password_reset_off.html")
        return view(request, *args, **kwargs)

    return checked
