"""Reads deployment settings from environment variables (no Django imports)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse


def env_bool(name: str, default: bool = False) -> bool:
    """Return an environment variable read as a boolean ("1", "true", "yes", "on")."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Return a comma-separated environment variable as a list of non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    """Return an environment variable read as an integer (`default` when unset or empty)."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def disk_size(path: Path) -> int:
    """Bytes of the filesystem holding `path` (its nearest existing folder)."""
    folder = path.absolute()
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    stat = os.statvfs(folder)
    return stat.f_blocks * stat.f_frsize


def read_secret(path: Path) -> str:
    """The secret kept in a file (surrounding whitespace dropped), or "" when there is none."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


def proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """Read `Header-Name: value` (what a TLS proxy sets on https requests) for Django's setting."""
    if not value.strip():
        return None
    name, separator, expected = value.partition(":")
    if not separator or not name.strip() or not expected.strip():
        raise ValueError(
            f"SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', got {value!r}"
        )
    return "HTTP_" + name.strip().upper().replace("-", "_"), expected.strip()


def sqlite_database(path: str | Path) -> dict[str, object]:
    """A SQLite DATABASES entry tuned for one server process plus worker processes.

    WAL lets readers proceed while a writer commits; IMMEDIATE transactions take the write lock
    up front, so concurrent writers wait (up to `timeout`) instead of failing mid-transaction.
    A connection is kept across requests (its thread is: designer/request_threads.py), as on
    PostgreSQL: opening one cost ~0.55 ms of CPU a request.
    """
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "CONN_MAX_AGE": 60,
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


# channels_redis blocks a receive in Redis (BZPOPMIN) for 5 s at a time; redis-py's default
# socket timeout is 5 s too, so an idle receive timed out on the client first and dropped its
# connection, and a message Redis popped for it in that moment (a member's removal) was lost.
# The socket timeout must outlast that blocking read (decision 0038).
LAYER_SOCKET_TIMEOUT = 30.0
# The realtime hub's channels (one per group and process). channels_redis keeps every
# process-local channel of a process in one Redis queue and bounds it by the channel's capacity
# (100 by default): a burst on one group (a fast run's events) filled it and a message to
# another group sent meanwhile was dropped (a member's removal: the socket stayed open).
HUB_CHANNEL_PREFIX = "realtime-hub."
HUB_CHANNEL_CAPACITY = 2000


def redis_channel_layer(url: str) -> dict[str, Any]:
    """The CHANNEL_LAYERS entry for Redis at `url` (sockets' groups, run events)."""
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": url, "socket_timeout": LAYER_SOCKET_TIMEOUT}],
            "channel_capacity": {f"{HUB_CHANNEL_PREFIX}*": HUB_CHANNEL_CAPACITY},
        },
    }


def database_from_url(url: str) -> dict[str, object]:
    """Turn postgres://user:pass@host:port/name or sqlite:///path into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
        }
    if parsed.scheme == "sqlite":
        return sqlite_database(unquote(parsed.path)[1:])  # sqlite:///rel.db, sqlite:////abs.db
    raise ValueError(f"DATABASE_URL scheme {parsed.scheme!r} is not supported (postgres or sqlite)")
