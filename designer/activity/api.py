"""REST view of a workspace's activity log (owners only)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from designer.activity.models import Action, ActivityEntry
from designer.activity.serializers import ActivityEntrySerializer
from designer.api_errors import ApiError
from designer.workspaces.models import Role
from designer.workspaces.pagination import (
    MAX_OFFSET,
    int_parameter,
    paginated,
    paginated_response,
    query_int,
)
from designer.workspaces.permissions import ScopedAPIView


class ActivityListView(ScopedAPIView):
    """What was done to a workspace's members, endpoints, keys, schedules, pipelines and
    datasets, newest first; ?action= and ?user= keep one kind of action or one member's."""

    policy = {"GET": Role.OWNER}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "action", str, required=False, enum=Action.values, description="Only this action."
            ),
            int_parameter("user", 1, MAX_OFFSET, "Only what this user did."),
        ],
        responses=paginated(ActivityEntrySerializer),
        operation_id="workspace_activity_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        self.authorize(pk, "Workspace", pk)
        entries = ActivityEntry.objects.filter(workspace_id=pk).order_by("-id")
        action = request.query_params.get("action")
        if action is not None:
            if action not in Action.values:
                raise ApiError(
                    400,
                    "invalid",
                    f"?action={action!r} is not one of {Action.values}.",
                    [{"field": "action", "code": "invalid", "message": "no such action"}],
                )
            entries = entries.filter(action=action)
        if "user" in request.query_params:
            entries = entries.filter(actor_id=query_int(request, "user", 0, 1, MAX_OFFSET))
        return paginated_response(self, entries, ActivityEntrySerializer)
