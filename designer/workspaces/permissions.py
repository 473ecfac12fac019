"""Who may do what: every API view declares a policy per HTTP method, checked here.

A policy value is a Role (the least role the caller needs in the object's workspace),
`USER` (any signed-in user, acting on objects that belong to that user) or `SESSION` (like
`USER`, but signed in with a password, not an API token: what only a person may do, such as
creating tokens). Objects of a workspace the caller is not a member of answer 404, exactly like
objects that do not exist.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.views import APIView

from designer.api_schema import refuse_unknown_query_parameters
from designer.workspaces.models import ROLE_RANK, Membership, Role

USER = "user"
SESSION = "session"


class ScopedAPIView(APIView):
    """An API view whose every method has a declared access policy (see module docstring)."""

    policy: ClassVar[dict[str, str]] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Refuse a method that has no declared policy, and query parameters the operation
        does not declare, before anything else runs."""
        super().initial(request, *args, **kwargs)
        if request.method not in ("OPTIONS", "HEAD") and request.method not in self.policy:
            raise exceptions.MethodNotAllowed(request.method or "")
        refuse_unknown_query_parameters(request)
        if self.required_role() == SESSION and request.auth is not None:
            raise exceptions.PermissionDenied(
                "This needs a signed-in session (the web page); an API token cannot do it."
            )

    def required_role(self) -> str:
        """The policy of the current request's method (HEAD and OPTIONS follow GET; on a view
        without GET, any signed-in user may ask what it allows)."""
        if self.request.method in ("HEAD", "OPTIONS"):
            return self.policy.get("GET", USER)
        return self.policy[self.request.method or "GET"]

    def authorize(self, workspace_id: int, label: str, ident: object) -> Membership:
        """Return the caller's membership, or 404 for non-members and 403 for a too-low role."""
        return authorize(self.request.user, workspace_id, self.required_role(), label, ident)

    def scoped_object(self, queryset: QuerySet[Any], pk: object, label: str) -> Any:
        """Fetch a workspace-owned object by primary key, enforcing the method's policy."""
        obj: Model | None = queryset.filter(pk=pk).first()
        if obj is None:
            raise exceptions.NotFound(f"{label} {pk} not found.")
        self.membership = self.authorize(obj.workspace_id, label, pk)  # type: ignore[attr-defined]
        return obj


def authorize(user: Any, workspace_id: int, role: str, label: str, ident: object) -> Membership:
    """Check that `user` holds at least `role` in a workspace; non-members get a 404."""
    membership = Membership.objects.filter(user=user, workspace_id=workspace_id).first()
    if membership is None:
        raise exceptions.NotFound(f"{label} {ident} not found.")
    if ROLE_RANK[Role(membership.role)] < ROLE_RANK[Role(role)]:
        raise exceptions.PermissionDenied(
            f"This needs the {role} role in workspace {workspace_id}; you are {membership.role}."
        )
    return membership
