"""WebSocket authentication: a session cookie, a personal API token, or an endpoint key.

The token may come as a `token.<raw>` subprotocol (what browsers can send), an
`Authorization: Bearer <raw>` header (CLI clients), or a `?token=<raw>` query parameter.
A token, when given, decides alone: an invalid one leaves the socket anonymous, and the session
is not read. An endpoint key leaves the user anonymous and names the key (ENDPOINT_KEY): it may
watch only the runs its own calls started. Failed tokens and keys count toward the address's
sign-in lockout (workspaces.lockout), as on the REST API.

A token or key that signed in from an address is remembered (its hash, not the raw value) for
lockout.SIGN_IN_SECONDS: the next sockets it opens from that address within that time skip the
lookup and the lockout check (a lockout of that address binds it once that time is up). Whether
it is still live is checked by the consumer on its token group, where a revocation arrives.

Without a token the handshake's session cookie is only named here (SESSION_KEY); the consumer
reads whom it signs in after joining the session's and the user's groups, where its end arrives
(SignedInConsumer.sign_in_by_session), so that answer can be remembered like a token's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.http.cookie import parse_cookie

from designer.endpoints.keys import is_key, live_key
from designer.realtime.protocol import TOKEN_SUBPROTOCOL_PREFIX
from designer.workspaces import lockout
from designer.workspaces.tokens import is_token, user_for_token

ASGIApp = Callable[..., Awaitable[Any]]


def token_from_scope(scope: dict[str, Any]) -> str | None:
    """Return the raw API token a WebSocket handshake carries, if any."""
    for protocol in scope.get("subprotocols") or []:
        if protocol.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            return protocol[len(TOKEN_SUBPROTOCOL_PREFIX) :]
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            scheme, _, raw = value.decode("latin-1").partition(" ")
            if scheme.lower() in {"bearer", "token"} and raw.strip():
                return raw.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("token")
    return values[0] if values else None


TOKEN_KEY = "designer.api_token"  # scope key: the id of the API token a socket signed in with
ENDPOINT_KEY = "designer.endpoint_key"  # scope key: the id of the endpoint key it signed in with
SESSION_KEY = "designer.session_key"  # scope key: the session cookie of a handshake without token


def session_key_from_scope(scope: dict[str, Any]) -> str | None:
    """The session cookie a WebSocket handshake carries, if any."""
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            key = parse_cookie(value.decode("latin-1")).get(settings.SESSION_COOKIE_NAME)
            if key:
                return key
    return None


def sign_in_request(scope: dict[str, Any]) -> HttpRequest:
    """The handshake as the plain HttpRequest the lockout bookkeeping reads (address, path)."""
    request = HttpRequest()
    request.path = request.path_info = scope.get("path", "")
    client = scope.get("client") or ("", 0)
    request.META["REMOTE_ADDR"] = client[0]
    for name, value in scope.get("headers") or []:
        if name == b"user-agent":
            request.META["HTTP_USER_AGENT"] = value.decode("latin-1")
    return request


# a token or key that signed in from an address, with the scope entries it signed in with
_signed_in_lately: lockout.RecentSignIns[dict[str, Any]] = lockout.RecentSignIns()


def _address(scope: dict[str, Any]) -> str:
    return str((scope.get("client") or ("", 0))[0])


def signed_in_lately(raw: str, scope: dict[str, Any]) -> dict[str, Any] | None:
    """The scope entries a credential signed in with from this address lately (no database)."""
    return _signed_in_lately.get(raw, _address(scope))


@database_sync_to_async
def _signed_in(raw: str, scope: dict[str, Any]) -> dict[str, Any]:
    """The scope entries a token or key signs in with (none valid: anonymous, the id None)."""
    request = sign_in_request(scope)
    kind = ENDPOINT_KEY if is_key(raw) else TOKEN_KEY
    found: Any = None
    if (is_key(raw) or is_token(raw)) and not lockout.token_locked_out(request):
        found = live_key(raw) if kind == ENDPOINT_KEY else user_for_token(raw)
        if found is None:
            lockout.token_failed(request)
    user = found.user if kind == TOKEN_KEY and found is not None else AnonymousUser()
    entries = {"user": user, kind: found.pk if found is not None else None}
    if found is not None:
        _signed_in_lately.put(raw, _address(scope), entries)
    return entries


class TokenAuthMiddleware(BaseMiddleware):
    """Signs a handshake that carries a token or key in with it; any other names its session
    cookie for the consumer to check (the user stays anonymous until it has)."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        raw = token_from_scope(scope)
        if raw is None:
            entries = {"user": AnonymousUser(), SESSION_KEY: session_key_from_scope(scope)}
        else:
            entries = signed_in_lately(raw, scope) or await _signed_in(raw, scope)
        return await super().__call__(dict(scope, **entries), receive, send)


def TokenOrSessionAuthMiddlewareStack(inner: ASGIApp) -> ASGIApp:
    """The API token or endpoint key of a handshake; without one, the session cookie."""
    return TokenAuthMiddleware(inner)
