"""Endpoint keys: generation, lookup by hash, the per-key rate limit and `last_used_at`.

A key is `dse_` + 43 URL-safe characters; only its SHA-256 is stored. The rate limit is one
budget per key shared with the scoring processes (`serving.ratelimit`: in Redis when REDIS_URL
is set, else in the host's file in the deployment folder), so a key gets its rate once, whether
its calls go to the batch API, to one scoring process or to many. `last_used_at` is written at
most once per LAST_USED_RESOLUTION per key, from the batch path here and from the scoring
processes' stats files by the monitoring collector: no call costs a database write for it.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from designer.endpoints.models import EndpointKey
from designer.serving.ratelimit import Rates, SharedRates, host_file
from designer.workspaces.tokens import LAST_USED_RESOLUTION, hash_token

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


@functools.cache
def _rates(redis_url: str, root: Path) -> Rates:
    return Rates(SharedRates(host_file(root)), redis_url or None)


def take_call(key: EndpointKey, now: float | None = None) -> float | None:
    """Count one call against the key's rate: None when allowed, else seconds to wait."""
    now = time.time() if now is None else now
    rates = _rates(settings.REDIS_URL, Path(settings.DESIGNER_SCORING_BUNDLES))
    wait = rates.take(key.pk, key.rate_per_minute, now)
    if wait is None:
        stamp_used({key.pk: datetime.fromtimestamp(now, tz=UTC)}, {key.pk: key.last_used_at})
    return wait


def stamp_used(
    used: Mapping[int, datetime], stored: Mapping[int, datetime | None] | None = None
) -> int:
    """Move keys' `last_used_at` forward to when they were last used (`used`, by key id), where
    it lags by more than LAST_USED_RESOLUTION; `stored`: the values read already, if any.
    Returns the number of rows written."""
    if stored is None:
        stored = dict(EndpointKey.objects.filter(pk__in=used).values_list("pk", "last_used_at"))
    written = 0
    for pk, when in used.items():
        if pk not in stored:
            continue  # deleted since
        last = stored[pk]
        if last is None or when - last > LAST_USED_RESOLUTION:
            written += EndpointKey.objects.filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=when), pk=pk
            ).update(last_used_at=when)
    return written
