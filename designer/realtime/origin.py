"""WebSocket handshakes are same-origin: the Origin header must name this very site.

A browser sends the page's origin (scheme, host and port). It must equal the origin of the
socket URL itself — `http://` for `ws://`, `https://` for `wss://` (or a request marked secure by
SECURE_PROXY_SSL_HEADER), with the Host header the client connected to, which must be one of
ALLOWED_HOSTS — or be listed in CSRF_TRUSTED_ORIGINS. Anything else, a missing Origin included,
is refused at the handshake (403), as channels' OriginValidator does.
"""

from __future__ import annotations

from typing import Any

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

Scope = dict[str, Any]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _secure(scope: Scope) -> bool:
    if scope.get("scheme") == "wss":
        return True
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if proxy is None:
        return False
    header, expected = proxy
    name = header.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
    return (_header(scope, name) or "").split(",")[0].strip() == expected


def site_origin(scope: Scope) -> str | None:
    """The origin of the socket URL (`http://host:port`), or None when its Host is not allowed."""
    host = _header(scope, b"host")
    if not host or not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        return None
    return f"{'https' if _secure(scope) else 'http'}://{host.lower()}"


def origin_allowed(scope: Scope) -> bool:
    """Whether the handshake's Origin is this site (or a trusted origin), port included."""
    origin = _header(scope, b"origin")
    if not origin:
        return False
    origin = origin.lower()
    return origin == site_origin(scope) or origin in {
        o.lower() for o in settings.CSRF_TRUSTED_ORIGINS
    }


class SameOriginValidator:
    """ASGI middleware: passes same-origin WebSocket handshakes on, refuses the rest (403)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
