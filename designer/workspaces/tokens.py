"""Personal API tokens: generation, hashing and lookup (the raw token is never stored)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from django.contrib.auth import get_user_model
from django.db import connections
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


@cache
def _token_user_sql(db_alias: str) -> str:
    """One statement: the active user of a live token with the token's id and whether its
    last use is older than the stamp's resolution (no ORM query to compile per request)."""
    quote = connections[db_alias].ops.quote_name
    user, token = get_user_model()._meta, ApiToken._meta
    column = {name: quote(token.get_field(name).column) for name in ("id", "user", "last_used_at")}
    return (
        f"SELECT u.*, t.{column['id']} AS token_id, (t.{column['last_used_at']} IS NULL"
        f" OR t.{column['last_used_at']} < %s) AS token_stale"
        f" FROM {quote(user.db_table)} u INNER JOIN {quote(token.db_table)} t"
        f" ON t.{column['user']} = u.{quote(user.pk.column)}"
        f" WHERE t.{quote(token.get_field('token_hash').column)} = %s"
        f" AND t.{quote(token.get_field('revoked_at').column)} IS NULL"
        f" AND u.{quote(user.get_field('is_active').column)} = %s"
    )


def user_for_token(raw: str) -> ApiToken | None:
    """Return the live token row for a raw token, its user loaded (and stamp its last use), or
    None. Read from the database on every call: a revoked token or a deactivated user is refused
    by the next request of every process."""
    if not is_token(raw):
        return None
    alias = ApiToken.objects.db
    now = timezone.now()
    stale = connections[alias].ops.adapt_datetimefield_value(now - LAST_USED_RESOLUTION)
    found = get_user_model().objects.raw(_token_user_sql(alias), [stale, hash_token(raw), True])
    user = next(iter(found), None)
    if user is None:
        return None
    token_id, stamp = user.token_id, bool(user.token_stale)
    del user.token_id, user.token_stale
    token = ApiToken.from_db(alias, ["id", "user_id"], [token_id, user.pk])  # the rest deferred
    token.user = user
    if stamp:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        token.last_used_at = now
    return token
