"""WebSocket URL routes."""

from django.urls import path

from designer.realtime.collab import CollabConsumer
from designer.realtime.consumers import RunConsumer, WorkspaceConsumer

websocket_urlpatterns = [
    path("ws/runs/<int:run_id>/", RunConsumer.as_asgi()),
    path("ws/workspaces/<int:workspace_id>/", WorkspaceConsumer.as_asgi()),
    path("ws/graphs/<int:graph_id>/edit/", CollabConsumer.as_asgi()),
]
