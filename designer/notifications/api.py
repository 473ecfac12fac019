"""REST view of watching a pipeline: read, watch, unwatch (any member who can read it)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from designer.graphs.api import GraphView
from designer.notifications import services
from designer.notifications.serializers import WatchChangeSerializer, WatchSerializer
from designer.workspaces.models import Role


class WatchView(GraphView):
    """The caller's watch of a pipeline: a mail when one of its runs fails (or recovers)."""

    policy = {"GET": Role.VIEWER, "PUT": Role.VIEWER, "DELETE": Role.VIEWER}

    @extend_schema(responses=WatchSerializer)
    def get(self, request: Request, pk: int) -> Response:
        graph = self.graph(pk)
        return Response(WatchSerializer(services.watch_state(request.user, graph)).data)

    @extend_schema(request=WatchChangeSerializer, responses=WatchSerializer)
    def put(self, request: Request, pk: int) -> Response:
        graph = self.graph(pk)
        body = WatchChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.watch(request.user, graph, **body.validated_data)
        return Response(WatchSerializer(services.watch_state(request.user, graph)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.unwatch(request.user, self.graph(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
