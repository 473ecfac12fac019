"""REST views: the current user, workspaces, members and personal API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from designer.accounts import services as accounts
from designer.accounts.models import Invitation
from designer.accounts.serializers import InvitationSerializer
from designer.api_errors import error_responses
from designer.workspaces import services
from designer.workspaces.models import ApiToken, Membership, Role, Workspace
from designer.workspaces.pagination import paginated, paginated_response
from designer.workspaces.parsers import LimitedJSONParser
from designer.workspaces.permissions import SESSION, USER, ScopedAPIView
from designer.workspaces.serializers import (
    InviteSerializer,
    MembershipSerializer,
    MeSerializer,
    MeUpdatedSerializer,
    MeUpdateSerializer,
    NewTokenSerializer,
    RoleSerializer,
    SignedOutSerializer,
    TokenCreateSerializer,
    TokenSerializer,
    WorkspaceSerializer,
    WorkspaceWriteSerializer,
)
from designer.workspaces.sessions import sign_out_elsewhere


class JSONView(ScopedAPIView):
    """A scoped view that reads JSON bodies (with the size limit)."""

    parser_classes = [LimitedJSONParser]


def _roles(user: Any) -> dict[int, str]:
    return dict(Membership.objects.filter(user=user).values_list("workspace_id", "role"))


class MeView(JSONView):
    """The signed-in user with their memberships; they change their e-mail address (confirmed by
    a mailed link) or clear it."""

    policy = {"GET": USER, "PATCH": SESSION}

    @extend_schema(responses=MeSerializer, operation_id="me")
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(_me(request.user)).data)

    @extend_schema(
        request=MeUpdateSerializer,
        responses={200: MeUpdatedSerializer, **error_responses(409, 429, 503)},
        operation_id="me_update",
    )
    def patch(self, request: Request) -> Response:
        body = MeUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sent_to = accounts.change_address(request.user, body.validated_data["email"], request)
        data = {**MeSerializer(_me(request.user)).data, "confirmation_sent_to": sent_to}
        return Response(data)


def _me(user: Any) -> Any:
    return get_user_model().objects.prefetch_related("memberships__workspace").get(pk=user.pk)


class WorkspaceListView(JSONView):
    """The caller's workspaces; creating one makes the caller its owner."""

    policy = {"GET": USER, "POST": USER}

    @extend_schema(responses=paginated(WorkspaceSerializer), operation_id="workspaces_list")
    def get(self, request: Request) -> Response:
        qs = Workspace.objects.filter(memberships__user=request.user).order_by("name", "id")
        return paginated_response(self, qs, WorkspaceSerializer, roles=_roles(request.user))

    @extend_schema(request=WorkspaceWriteSerializer, responses={201: WorkspaceSerializer})
    def post(self, request: Request) -> Response:
        body = WorkspaceWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        workspace = services.create_workspace(request.user, body.validated_data["name"])
        data = WorkspaceSerializer(workspace, context={"roles": {workspace.pk: Role.OWNER}}).data
        return Response(data, status=status.HTTP_201_CREATED)


class WorkspaceDetailView(JSONView):
    """One workspace: members read it, owners rename or delete it."""

    policy = {"GET": Role.VIEWER, "PATCH": Role.OWNER, "DELETE": Role.OWNER}

    def _get(self, pk: int) -> tuple[Workspace, Membership]:
        membership = self.authorize(pk, "Workspace", pk)
        return membership.workspace, membership

    @extend_schema(responses=WorkspaceSerializer)
    def get(self, request: Request, pk: int) -> Response:
        workspace, membership = self._get(pk)
        return Response(
            WorkspaceSerializer(workspace, context={"roles": {pk: membership.role}}).data
        )

    @extend_schema(request=WorkspaceWriteSerializer, responses=WorkspaceSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        workspace, membership = self._get(pk)
        body = WorkspaceWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.rename_workspace(request.user, workspace, body.validated_data["name"])
        return Response(
            WorkspaceSerializer(workspace, context={"roles": {pk: membership.role}}).data
        )

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        workspace, _ = self._get(pk)
        services.delete_workspace(workspace)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListView(JSONView):
    """A workspace's members; owners add users by username or e-mail, or mail an invitation to
    an address no account has."""

    policy = {"GET": Role.VIEWER, "POST": Role.OWNER}

    @extend_schema(responses=paginated(MembershipSerializer), operation_id="members_list")
    def get(self, request: Request, pk: int) -> Response:
        self.authorize(pk, "Workspace", pk)
        qs = Membership.objects.filter(workspace_id=pk).select_related("user").order_by("id")
        return paginated_response(self, qs, MembershipSerializer)

    @extend_schema(
        request=InviteSerializer,
        responses={
            201: MembershipSerializer,
            202: InvitationSerializer,
            **error_responses(409, 429, 503),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        membership = self.authorize(pk, "Workspace", pk)
        body = InviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        added = accounts.add_or_invite(
            request.user, membership.workspace, data["user"], data["role"], request
        )
        if isinstance(added, Invitation):
            return Response(InvitationSerializer(added).data, status=status.HTTP_202_ACCEPTED)
        return Response(MembershipSerializer(added).data, status=status.HTTP_201_CREATED)


class MemberDetailView(JSONView):
    """One member: owners change their role or remove them."""

    policy = {"GET": Role.VIEWER, "PATCH": Role.OWNER, "DELETE": Role.OWNER}

    def _member(self, pk: int, user_id: int) -> Membership:
        self.authorize(pk, "Workspace", pk)
        member = (
            Membership.objects.select_related("user")
            .filter(workspace_id=pk, user_id=user_id)
            .first()
        )
        if member is None:
            raise exceptions.NotFound(f"User {user_id} is not a member of workspace {pk}.")
        return member

    @extend_schema(responses=MembershipSerializer)
    def get(self, request: Request, pk: int, user_id: int) -> Response:
        return Response(MembershipSerializer(self._member(pk, user_id)).data)

    @extend_schema(request=RoleSerializer, responses=MembershipSerializer)
    def patch(self, request: Request, pk: int, user_id: int) -> Response:
        member = self._member(pk, user_id)
        body = RoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.change_role(request.user, member, body.validated_data["role"])
        return Response(MembershipSerializer(member).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, user_id: int) -> Response:
        services.remove_member(request.user, self._member(pk, user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutElsewhereView(JSONView):
    """Sign the caller out of every other browser (this one stays signed in; tokens are not
    sessions and keep working)."""

    policy = {"POST": SESSION}

    @extend_schema(request=None, responses=SignedOutSerializer, operation_id="sign_out_elsewhere")
    def post(self, request: Request) -> Response:
        ended = sign_out_elsewhere(request.user.pk, request.session.session_key)
        return Response(SignedOutSerializer({"signed_out": ended}).data)


class LeaveView(JSONView):
    """The caller leaves the workspace (any member; not its last owner)."""

    policy = {"POST": Role.VIEWER}

    @extend_schema(request=None, responses={204: None, **error_responses(409)})
    def post(self, request: Request, pk: int) -> Response:
        services.leave(self.authorize(pk, "Workspace", pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListView(JSONView):
    """The caller's personal API tokens; a new token's raw value is returned once.

    Only a signed-in session creates tokens: a token cannot mint tokens that outlive it.
    """

    policy = {"GET": USER, "POST": SESSION}

    @extend_schema(responses=paginated(TokenSerializer), operation_id="tokens_list")
    def get(self, request: Request) -> Response:
        qs = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
        return paginated_response(self, qs, TokenSerializer)

    @extend_schema(request=TokenCreateSerializer, responses={201: NewTokenSerializer})
    def post(self, request: Request) -> Response:
        body = TokenCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token, raw = services.create_token(request.user, body.validated_data["name"])
        token.token = raw  # type: ignore[attr-defined]
        return Response(NewTokenSerializer(token).data, status=status.HTTP_201_CREATED)


class TokenDetailView(JSONView):
    """One of the caller's tokens; DELETE revokes it."""

    policy = {"GET": USER, "DELETE": USER}

    def _token(self, pk: int) -> ApiToken:
        token = ApiToken.objects.filter(pk=pk, user=self.request.user).first()
        if token is None:
            raise exceptions.NotFound(f"Token {pk} not found.")
        return token

    @extend_schema(responses=TokenSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(TokenSerializer(self._token(pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.revoke_token(self._token(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
