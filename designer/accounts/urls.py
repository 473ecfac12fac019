"""URL routes of designer.accounts: the pages mailed links open, and invitations under /api/."""

from django.urls import path

from designer.accounts import api, views

urlpatterns = [
    path("accounts/address/<str:token>/", views.confirm_address, name="confirm-address"),
    path("accounts/join/<str:token>/", views.join, name="join"),
    path(
        "api/workspaces/<id:pk>/invitations/",
        api.InvitationListView.as_view(),
        name="invitation-list",
    ),
    path(
        "api/workspaces/<id:pk>/invitations/<id:invitation_id>/",
        api.InvitationDetailView.as_view(),
        name="invitation-detail",
    ),
]
