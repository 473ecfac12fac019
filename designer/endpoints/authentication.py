"""DRF authentication by endpoint key (`Authorization: Bearer dse_...`), for the call routes only.

Only the views that accept keys list this class, so a key sent anywhere else meets the
personal-token authentication, which refuses it (401): keys cannot read anything else.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from designer.endpoints.keys import is_key, live_key
from designer.workspaces import lockout
from designer.workspaces.authentication import SignInLocked


class EndpointKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates a call with an endpoint key: the user stays anonymous, `auth` is the key.

    Failed keys count toward the address's sign-in lockout, as failed API tokens do.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if len(header) != 2 or header[0].lower() not in ("bearer", "token"):
            return None
        if not is_key(header[1]):
            return None
        if lockout.token_locked_out(request._request):
            raise SignInLocked(lockout.lockout_seconds(), lockout.locked_message())
        key = live_key(header[1])
        if key is None:
            lockout.token_failed(request._request)
            raise exceptions.AuthenticationFailed("Invalid or revoked endpoint key.")
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class EndpointKeyScheme(OpenApiAuthenticationExtension):
    """Documents endpoint keys as an HTTP bearer scheme of their own."""

    target_class = "designer.endpoints.authentication.EndpointKeyAuthentication"
    name = "endpointKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An endpoint key (dse_...): invokes endpoints and reads the calls it "
            "made, nothing else.",
        }
