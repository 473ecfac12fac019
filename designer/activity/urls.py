"""URL routes of designer.activity (under /api/)."""

from django.urls import path

from designer.activity import api

urlpatterns = [
    path("workspaces/<id:pk>/activity/", api.ActivityListView.as_view(), name="activity-list"),
]
