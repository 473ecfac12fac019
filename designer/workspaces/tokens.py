"""Personal API tokens: generation, hashing and lookup (the raw token is never stored)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import timezone

from designer.workspaces import rows
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


def _user_fields() -> list[str]:
    return [field.name for field in get_user_model()._meta.concrete_fields]


@cache
def _token_user_sql(db_alias: str) -> str:
    """One statement: the active user of a live token, the token's id and whether its last use
    is older than the stamp's resolution (no ORM query to compile per request)."""
    User = get_user_model()
    return (
        f"SELECT {rows.columns(User, _user_fields(), 'u')}, t.{rows.column(ApiToken, 'id')},"
        f" (t.{rows.column(ApiToken, 'last_used_at')} IS NULL"
        f" OR t.{rows.column(ApiToken, 'last_used_at')} < %s)"
        f" FROM {rows.table(User)} u INNER JOIN {rows.table(ApiToken)} t"
        f" ON t.{rows.column(ApiToken, 'user')} = u.{rows.column(User, User._meta.pk.name)}"
        f" WHERE t.{rows.column(ApiToken, 'token_hash')} = %s"
        f" AND t.{rows.column(ApiToken, 'revoked_at')} IS NULL"
        f" AND u.{rows.column(User, 'is_active')} = %s"
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
    with connections[alias].cursor() as cursor:
        cursor.execute(_token_user_sql(alias), [stale, hash_token(raw), True])
        row = cursor.fetchone()
    if row is None:
        return None
    fields = _user_fields()
    user = rows.load(get_user_model(), fields, row[: len(fields)])
    token_id, stamp = row[len(fields)], bool(row[len(fields) + 1])
    token = ApiToken.from_db(alias, ["id", "user_id"], [token_id, user.pk])  # the rest deferred
    token.user = user
    if stamp:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        token.last_used_at = now
    return token
