"""How many writes a signed-in user may send to the API: DRF's throttling, per user."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import UserRateThrottle


class WriteRateThrottle(UserRateThrottle):
    """A signed-in user's unsafe requests (POST, PUT, PATCH, DELETE), at most
    `DESIGNER_API_WRITE_RATE` of them (None: no limit), counted in Django's default cache.
    Reads are not counted; an endpoint key's calls have the key's own rate."""

    scope = "writes"

    def get_rate(self) -> str | None:
        """The rate from the settings, read when the throttle is made (tests change it)."""
        rate: str | None = settings.DESIGNER_API_WRITE_RATE
        return rate

    def allow_request(self, request: Request, view: Any) -> bool:
        """Whether this request may go on: reads and requests of no user always may."""
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return True
        return super().allow_request(request, view)
