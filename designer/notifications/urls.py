"""URL routes of designer.notifications (under /api/)."""

from django.urls import path

from designer.notifications import api

urlpatterns = [
    path("graphs/<id:pk>/watch/", api.WatchView.as_view(), name="graph-watch"),
]
