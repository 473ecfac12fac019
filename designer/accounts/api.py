"""REST views of a workspace's pending invitations (owners)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from designer.accounts import services
from designer.accounts.models import Invitation
from designer.accounts.serializers import InvitationSerializer
from designer.workspaces.models import Role
from designer.workspaces.pagination import paginated, paginated_response
from designer.workspaces.permissions import ScopedAPIView


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
