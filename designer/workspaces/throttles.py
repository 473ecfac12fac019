"""How many writes a signed-in user may send to the API: DRF's throttling, per user."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from redis import RedisError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import UserRateThrottle

logger = logging.getLogger(__name__)


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
        """Whether this request may go on: reads and requests of no user always may, and so
        does every request while the cache (Redis) is unreachable: the API goes on answering
        (what needs Redis refuses with its own 503) rather than fail every write with a 500."""
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return True
        try:
            return super().allow_request(request, view)
        except RedisError as exc:
            logger.warning("API write rates not counted: the cache is unreachable (%s)", exc)
            return True
