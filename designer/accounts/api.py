"""REST views of a workspace's pending invitations (owners) and the caller's two-factor sign-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from designer.accounts import services, two_factor
from designer.accounts.models import Invitation
from designer.accounts.serializers import (
    CodeSerializer,
    EnrolmentSerializer,
    InvitationSerializer,
    RecoveryCodesSerializer,
    TwoFactorSerializer,
)
from designer.api_errors import ApiError
from designer.workspaces.api import JSONView
from designer.workspaces.models import Role
from designer.workspaces.pagination import paginated, paginated_response
from designer.workspaces.permissions import SESSION, USER, ScopedAPIView
from designer.workspaces.sessions import sign_out_elsewhere

T = TypeVar("T")


class InvitationListView(ScopedAPIView):
    """A workspace's invitations not yet accepted or revoked, newest first (owners)."""

    policy = {"GET": Role.OWNER}

    @extend_schema(responses=paginated(InvitationSerializer), operation_id="invitations_list")
    def get(self, request: Request, pk: int) -> Response:
        self.authorize(pk, "Workspace", pk)
        qs = Invitation.objects.filter(workspace_id=pk).select_related("invited_by")
        return paginated_response(self, qs.order_by("-created_at", "-id"), InvitationSerializer)


class InvitationDetailView(ScopedAPIView):
    """One pending invitation: owners revoke it, and its link stops working."""

    policy = {"DELETE": Role.OWNER}

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, invitation_id: int) -> Response:
        self.authorize(pk, "Workspace", pk)
        invitation = Invitation.objects.filter(workspace_id=pk, pk=invitation_id).first()
        if invitation is None:
            raise exceptions.NotFound(
                f"Invitation {invitation_id} is not pending in workspace {pk}."
            )
        services.revoke(request.user, invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TwoFactorView(JSONView):
    """The caller's two-factor sign-in: whether it is on; POST starts adding an app."""

    policy = {"GET": USER, "POST": SESSION}

    @extend_schema(responses=TwoFactorSerializer, operation_id="two_factor")
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            TwoFactorSerializer(
                {
                    "enabled": two_factor.enabled(user),
                    "recovery_codes_left": two_factor.recovery_codes_left(user),
                }
            ).data
        )

    @extend_schema(
        request=None, responses={201: EnrolmentSerializer}, operation_id="two_factor_begin"
    )
    def post(self, request: Request) -> Response:
        if two_factor.enabled(request.user):
            raise ApiError(
                409, "two_factor_on", "Two-factor sign-in is already on: turn it off first."
            )
        enrolment = two_factor.begin(request.user)
        return Response(EnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)


def _with_code(request: Request, act: Callable[[Any, str], T]) -> T:
    """`act(user, code)` with the body's code; a refused code is the code field's 400."""
    body = CodeSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    try:
        return act(request.user, str(body.validated_data["code"]))
    except two_factor.CodeRefused as refused:
        raise exceptions.ValidationError({"code": [str(refused)]}) from None


def _codes(codes: list[str]) -> Response:
    return Response(RecoveryCodesSerializer({"recovery_codes": codes}).data)


class TwoFactorConfirmView(JSONView):
    """Turn two-factor sign-in on with a code from the app just added (the caller's other
    browsers are signed out); its recovery codes."""

    policy = {"POST": SESSION}

    @extend_schema(request=CodeSerializer, responses=RecoveryCodesSerializer)
    def post(self, request: Request) -> Response:
        codes = _with_code(request, two_factor.confirm)
        # sessions signed in with the password alone end: from now on a sign-in needs a code
        sign_out_elsewhere(request.user.pk, request.session.session_key)
        return _codes(codes)


class RecoveryCodesView(JSONView):
    """New recovery codes in place of the old ones (after a code)."""

    policy = {"POST": SESSION}

    @extend_schema(request=CodeSerializer, responses=RecoveryCodesSerializer)
    def post(self, request: Request) -> Response:
        return _codes(_with_code(request, two_factor.new_recovery_codes))


class TwoFactorOffView(JSONView):
    """Turn two-factor sign-in off (after a code): the password alone signs in again."""

    policy = {"POST": SESSION}

    @extend_schema(request=CodeSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        _with_code(request, two_factor.turn_off)
        return Response(status=status.HTTP_204_NO_CONTENT)
