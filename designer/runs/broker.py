"""Whether the task broker answers: runs are not started or canceled while it does not (503)."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings

from designer.api_errors import ApiError

PING_TIMEOUT = 2.0  # seconds a broker that does not answer may take to say so


class BrokerUnavailable(ApiError):
    """503: the Celery broker (Redis) is unreachable, so a run cannot be queued or stopped now."""

    def __init__(self, action: str, failed_run: int | None = None):
        outcome = (
            "nothing was changed"
            if failed_run is None
            else f"run {failed_run} was saved as failed, saying so"
        )
        super().__init__(
            503,
            "broker_unavailable",
            f"The task broker (Redis) is unreachable, so the run cannot be {action} now; "
            f"{outcome}. Try again once it is back.",
        )


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=PING_TIMEOUT, socket_timeout=PING_TIMEOUT
    )


def require(action: str) -> None:
    """Raise BrokerUnavailable unless runs go to Celery on a broker that answers a PING."""
    if settings.DESIGNER_RUNNER != "celery":
        return
    from designer.celery import app

    url = str(app.conf.broker_url)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return  # an in-memory broker (tests): always there
    try:
        _client(url).ping()
    except redis.RedisError:
        raise BrokerUnavailable(action) from None
