"""URL routes of designer.accounts: the pages mailed links open; invitations and two-factor
sign-in under /api/."""

from django.urls import path

from designer.accounts import api, views

urlpatterns = [
    path("api/me/two-factor/", api.TwoFactorView.as_view(), name="two-factor"),
    path(
        "api/me/two-factor/confirm/", api.TwoFactorConfirmView.as_view(), name="two-factor-confirm"
    ),
    path(
        "api/me/two-factor/recovery-codes/",
        api.RecoveryCodesView.as_view(),
        name="two-factor-recovery-codes",
    ),
    path("api/me/two-factor/off/", api.TwoFactorOffView.as_view(), name="two-factor-off"),
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
