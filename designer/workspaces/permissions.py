"""Who may do what: every API view declares a policy per HTTP method, checked here.

A policy value is a Role (the least role the caller needs in the object's workspace),
`USER` (any signed-in user, acting on objects that belong to that user) or `SESSION` (like
`USER`, but signed in with a password, not an API token: what only a person may do, such as
creating tokens). Objects of a workspace the caller is not a member of answer 404, exactly like
objects that do not exist.
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar

from django.db import connections
from django.db.models import Model, QuerySet
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.views import APIView

from designer.api_schema import refuse_unknown_query_parameters
from designer.workspaces import rows
from designer.workspaces.models import ROLE_RANK, Membership, Role

USER = "user"
SESSION = "session"
MEMBER = ["id", "workspace", "user", "role"]  # a membership's fields as the checks read it


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

    def scoped_fields(self, model: type[Model], pk: object, label: str, fields: list[str]) -> Any:
        """`scoped_object` in one plain statement that reads only `fields` of the object (the
        others load when touched) and the caller's membership."""
        sql = _scoped_sql(model, tuple(fields))
        with connections[model.objects.db].cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute(sql, [self.request.user.pk, model._meta.pk.get_prep_value(pk)])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.NotFound(f"{label} {pk} not found.")
        obj = rows.load(model, fields, row[: len(fields)])
        member = row[len(fields) :]
        found = None if member[0] is None else rows.load(Membership, MEMBER, member)
        workspace_id = obj.workspace_id  # type: ignore[attr-defined]
        self.membership = _checked(found, workspace_id, self.required_role(), label, pk)
        return obj


def authorize(user: Any, workspace_id: int, role: str, label: str, ident: object) -> Membership:
    """Check that `user` holds at least `role` in a workspace; non-members get a 404.

    Read from the database on every call (one plain statement: no ORM query to compile), so a
    removed member or a changed role is refused by the next request of every process.
    """
    with connections[Membership.objects.db].cursor() as cursor:
        cursor.execute(_membership_sql(), [user.pk, workspace_id])
        row = cursor.fetchone()
    found = None if row is None else rows.load(Membership, MEMBER, row)
    return _checked(found, workspace_id, role, label, ident)


@cache
def _membership_sql() -> str:
    return (
        f"SELECT {rows.columns(Membership, MEMBER)} FROM {rows.table(Membership)}"
        f" WHERE {rows.column(Membership, 'user')} = %s"
        f" AND {rows.column(Membership, 'workspace')} = %s"
    )


@cache
def _scoped_sql(model: type[Model], fields: tuple[str, ...]) -> str:
    """An object's `fields` and the membership of a user (the first parameter) in its workspace."""
    return (
        f"SELECT {rows.columns(model, fields, 'o')}, {rows.columns(Membership, MEMBER, 'm')}"
        f" FROM {rows.table(model)} o LEFT JOIN {rows.table(Membership)} m"
        f" ON m.{rows.column(Membership, 'workspace')} = o.{rows.column(model, 'workspace')}"
        f" AND m.{rows.column(Membership, 'user')} = %s"
        f" WHERE o.{rows.column(model, model._meta.pk.name)} = %s"
    )


def _checked(
    membership: Membership | None, workspace_id: int, role: str, label: str, ident: object
) -> Membership:
    """The membership if its role is enough; 404 for non-members, 403 for a too-low role."""
    if membership is None:
        raise exceptions.NotFound(f"{label} {ident} not found.")
    if ROLE_RANK[Role(membership.role)] < ROLE_RANK[Role(role)]:
        raise exceptions.PermissionDenied(
            f"This needs the {role} role in workspace {workspace_id}; you are {membership.role}."
        )
    return membership
