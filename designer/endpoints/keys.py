"""Endpoint keys: generation, lookup by hash, and the per-key rate limit.

A key is `dse_` + 43 URL-safe characters; only its SHA-256 is stored. The rate limit is a
generic cell rate algorithm (GCRA) kept in one column of the key's row, `rate_tat`: a call is
allowed when `rate_tat - now <= burst`, and then moves `rate_tat` to `max(rate_tat, now) +
interval`. That is one conditional UPDATE, atomic on SQLite and PostgreSQL alike, so every
server process shares the limit with no other service. `interval` = 60 s / rate and the burst
allowed is a full minute's worth of calls.
"""

from __future__ import annotations

import math
import secrets
import time

from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from designer.endpoints.models import EndpointKey
from designer.workspaces.tokens import hash_token

KEY_PREFIX = "dse_"


def new_key() -> tuple[str, str, str]:
    """Return (raw key to show once, its display prefix, its hash)."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    return raw, raw[: len(KEY_PREFIX) + 8], hash_token(raw)


def is_key(raw: str) -> bool:
    """Whether a credential is an endpoint key (rather than a personal API token)."""
    return raw.startswith(KEY_PREFIX)


def live_key(raw: str) -> EndpointKey | None:
    """The unrevoked key row for a raw key, or None."""
    if not is_key(raw):
        return None
    return (
        EndpointKey.objects.select_related("workspace")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )


def take_call(key: EndpointKey, now: float | None = None) -> float | None:
    """Count one call against the key's rate: None when allowed, else seconds to wait.

    Stamps `last_used_at` in the same statement.
    """
    now = time.time() if now is None else now
    interval = 60.0 / key.rate_per_minute
    burst = 60.0 - interval  # `rate_per_minute` calls at once, then one per interval
    allowed = (
        EndpointKey.objects.filter(pk=key.pk, rate_tat__lte=now + burst).update(
            rate_tat=Greatest(F("rate_tat"), Value(now)) + interval,
            last_used_at=timezone.now(),
        )
        == 1
    )
    if allowed:
        return None
    tat = EndpointKey.objects.filter(pk=key.pk).values_list("rate_tat", flat=True).first()
    return max(1.0, math.ceil((tat or now) - burst - now))
