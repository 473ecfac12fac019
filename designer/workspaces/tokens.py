"""Personal API tokens: generation, hashing and lookup (the raw token is never stored)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from designer.workspaces.models import ApiToken

TOKEN_PREFIX = "dsn_"
# last_used_at is stamped at most this often, so reading the API does not write on every call
LAST_USED_RESOLUTION = timedelta(seconds=60)


def hash_token(raw: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """Return (raw token to show once, its display prefix, its hash)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return raw, raw[: len(TOKEN_PREFIX) + 8], hash_token(raw)


def is_token(raw: str) -> bool:
    """Whether a credential has the form of a personal API token (anything else never is one)."""
    return raw.startswith(TOKEN_PREFIX)


def user_for_token(raw: str) -> ApiToken | None:
    """Return the live token row for a raw token (and stamp its last use), or None."""
    if not is_token(raw):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token
