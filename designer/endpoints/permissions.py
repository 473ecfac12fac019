"""Access to the call routes: workspace members by role, or an endpoint key for what it may call.

A key may invoke the endpoints it is scoped to (one endpoint, or every endpoint of its
workspace) and read the invocations it started; anything else answers 404 exactly as for a
missing object. Members go through the usual role policy (`ScopedAPIView`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from designer.endpoints.authentication import EndpointKeyAuthentication
from designer.endpoints.keys import take_call
from designer.endpoints.models import Endpoint, EndpointKey, Invocation
from designer.workspaces.authentication import ApiTokenAuthentication
from designer.workspaces.permissions import ScopedAPIView, authorize


class MemberOrKey(BasePermission):
    """A signed-in user (the view's role policy decides further) or a live endpoint key."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(request.auth, EndpointKey) or bool(user and user.is_authenticated)


class KeyOrMemberView(ScopedAPIView):
    """A view that endpoint keys may use too (its `policy` applies to members)."""

    key_access: ClassVar[bool] = True
    authentication_classes = [
        EndpointKeyAuthentication,
        ApiTokenAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [MemberOrKey]

    @property
    def key(self) -> EndpointKey | None:
        """The endpoint key the request signed in with, if any."""
        auth = self.request.auth
        return auth if isinstance(auth, EndpointKey) else None

    def endpoint_for_call(self, queryset: Any, pk: int) -> Endpoint:
        """The endpoint to call: a key's scope and rate are checked, a member's role."""
        key = self.key
        if key is None:
            return self.scoped_object(queryset, pk, "Endpoint")
        endpoint: Endpoint | None = queryset.filter(pk=pk).first()
        if endpoint is None or not key.allows(endpoint):
            raise exceptions.NotFound(f"Endpoint {pk} not found.")
        wait = take_call(key)
        if wait is not None:
            raise exceptions.Throttled(
                wait,
                f"Key {key.prefix}… may make {key.rate_per_minute} calls a minute; "
                f"retry in {wait:.0f} s.",
            )
        return endpoint

    def invocation_for_caller(self, queryset: Any, pk: int) -> Invocation:
        """An invocation the caller may read: one its key made, or any of a member's workspace."""
        call: Invocation | None = queryset.filter(pk=pk).first()
        key = self.key
        if call is None or (key is not None and call.key_id != key.pk):
            raise exceptions.NotFound(f"Invocation {pk} not found.")
        if key is None:
            authorize(
                self.request.user,
                call.endpoint.workspace_id,
                self.required_role(),
                "Invocation",
                pk,
            )
        return call
