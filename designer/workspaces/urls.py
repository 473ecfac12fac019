"""URL routes of designer.workspaces (under /api/)."""

from django.urls import path

from designer.workspaces import api

urlpatterns = [
    path("me/", api.MeView.as_view(), name="me"),
    path("me/sign-out-elsewhere/", api.SignOutElsewhereView.as_view(), name="sign-out-elsewhere"),
    path("workspaces/", api.WorkspaceListView.as_view(), name="workspace-list"),
    path("workspaces/<id:pk>/", api.WorkspaceDetailView.as_view(), name="workspace-detail"),
    path("workspaces/<id:pk>/members/", api.MemberListView.as_view(), name="member-list"),
    path(
        "workspaces/<id:pk>/members/<id:user_id>/",
        api.MemberDetailView.as_view(),
        name="member-detail",
    ),
    path("workspaces/<id:pk>/leave/", api.LeaveView.as_view(), name="workspace-leave"),
    path("tokens/", api.TokenListView.as_view(), name="token-list"),
    path("tokens/<id:pk>/", api.TokenDetailView.as_view(), name="token-detail"),
]
