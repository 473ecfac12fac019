"""DRF authentication by personal API token: `Authorization: Bearer dsn_...`."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from designer.workspaces import lockout
from designer.workspaces.tokens import is_token, user_for_token

# tokens that signed in from an address lately: their next requests skip the lockout check
_signed_in_lately: lockout.RecentSignIns[bool] = lockout.RecentSignIns()


class SignInLocked(exceptions.Throttled):
    """Too many failed sign-ins from this address (429)."""

    default_code = "locked_out"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates a request carrying a personal API token (Bearer or Token scheme).

    Failed tokens count toward the address's sign-in lockout; a locked-out address is refused
    before its token is even looked up, unless that token signed in from it in the last
    lockout.SIGN_IN_SECONDS (as on sockets). The token itself is looked up on every request. A
    credential that is not shaped like a token (say, an endpoint key sent to a route that takes
    none) can never sign in here and is not counted.
    """

    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        if not is_token(header[1]):
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        address = lockout.address(request._request)
        lately = _signed_in_lately.get(header[1], address)
        if lately is None and lockout.token_locked_out(request._request):
            raise SignInLocked(lockout.lockout_seconds(), lockout.locked_message())
        token = user_for_token(header[1])
        if token is None:
            lockout.token_failed(request._request)
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        if lately is None:
            _signed_in_lately.put(header[1], address, True)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
