"""Sign-in lockout (django-axes): failed API tokens and endpoint keys count like failed passwords.

Password sign-ins (the login page, the admin) go through Django's `authenticate`, which axes
watches. A token is not a username, so every failed token or key from one address counts
against the pseudo-username TOKEN_SIGN_IN at that address: guessing tokens locks that address
out of token sign-in like guessing passwords locks a username out.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

TOKEN_SIGN_IN = "(api token)"
_CREDENTIALS = {"username": TOKEN_SIGN_IN}


def lockout_seconds() -> int:
    """How long a lockout lasts after the last failed attempt."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def locked_message() -> str:
    """What a locked-out client is told."""
    return (
        f"Too many failed sign-ins from your address: signing in is locked for "
        f"{lockout_seconds() // 60} minutes, even with the right credentials."
    )


def token_locked_out(request: HttpRequest) -> bool:
    """Whether token sign-in from this request's address is locked out."""
    return not AxesProxyHandler.is_allowed(request, _CREDENTIALS)


def token_failed(request: HttpRequest) -> None:
    """Count a failed token sign-in from this request's address."""
    user_login_failed.send(sender=__name__, credentials=_CREDENTIALS, request=request)


def lockout_response(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What the sign-in that locks an address out gets (AXES_LOCKOUT_CALLABLE): a 429 saying so.

    The API's error body under /api/, else the sign-in page's plain HTML.
    """
    if request.path.startswith("/api/"):
        body = {"detail": locked_message(), "code": "locked_out", "issues": []}
        locked = JsonResponse(body, status=429)
        locked["Retry-After"] = str(lockout_seconds())
        return locked
    context = {"message": locked_message()}
    return render(request, "registration/locked_out.html", context, status=429)
