"""Sign-in lockout (django-axes): failed API tokens and endpoint keys count like failed passwords.

Password sign-ins (the login page, the admin) go through Django's `authenticate`, which axes
watches. A token is not a username, so every failed token or key from one address counts
against the pseudo-username TOKEN_SIGN_IN at that address: guessing tokens locks that address
out of token sign-in like guessing passwords locks a username out.

A credential that signed in from an address is remembered there for SIGN_IN_SECONDS
(`RecentSignIns`, by its hash, never the raw value): its next sign-ins from that address skip
the lockout check (a lockout of that address binds it once that time is up). Whether the
credential is still live is never remembered here: each sign-in checks that itself.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any, Generic, TypeVar

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

TOKEN_SIGN_IN = "(api token)"
_CREDENTIALS = {"username": TOKEN_SIGN_IN}
SIGN_IN_SECONDS = 10.0
SIGN_INS_KEPT = 10_000
T = TypeVar("T")


class RecentSignIns(Generic[T]):
    """Credentials (by hash) that signed in from an address lately, with what they signed in."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], tuple[float, T]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(raw: str, address: str) -> tuple[str, str]:
        """What a credential from an address is remembered by (its SHA-256, not the raw value)."""
        return hashlib.sha256(raw.encode()).hexdigest(), address

    def get(self, raw: str, address: str) -> T | None:
        """What the credential signed in with from this address in the last SIGN_IN_SECONDS."""
        entry = self._kept.get(self.key(raw, address))
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def put(self, raw: str, address: str, value: T) -> None:
        """Remember a successful sign-in for SIGN_IN_SECONDS."""
        with self._lock:
            if len(self._kept) >= SIGN_INS_KEPT:
                self._kept.clear()
            self._kept[self.key(raw, address)] = (time.monotonic() + SIGN_IN_SECONDS, value)


def lockout_seconds() -> int:
    """How long a lockout lasts after the last failed attempt."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def locked_message() -> str:
    """What a locked-out client is told."""
    return (
        f"Too many failed sign-ins from your address: signing in is locked for "
        f"{lockout_seconds() // 60} minutes, even with the right credentials."
    )


def address(request: HttpRequest) -> str:
    """The client address the lockout counts a request's sign-ins against (as django-axes)."""
    return get_client_ip_address(request) or ""


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
