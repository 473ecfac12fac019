"""URL routes of designer.pages: sign in and out, passwords, and the app's pages."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from designer.accounts.sign_in import SignInView, enter_code
from designer.notifications.sender import mail_on
from designer.pages import views
from designer.pages.passwords import RESET_MAIL_SECONDS, ResetConfirmView, ResetView, needs_mail

urlpatterns = [
    path(
        "accounts/login/",
        SignInView.as_view(
            template_name="registration/login.html",
            redirect_authenticated_user=True,
            extra_context={"reset_by_mail": mail_on},  # a callable: the template asks each time
        ),
        name="login",
    ),
    path("accounts/login/code/", enter_code, name="sign-in-code"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_changed.html"
        ),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        needs_mail(
            ResetView.as_view(
                template_name="registration/password_reset.html",
                subject_template_name="registration/password_reset_subject.txt",
                email_template_name="registration/password_reset_mail.txt",
            )
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        needs_mail(
            auth_views.PasswordResetDoneView.as_view(
                template_name="registration/password_reset_sent.html",
                extra_context={
                    "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
                    "minutes": RESET_MAIL_SECONDS // 60,
                },
            )
        ),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/complete/",
        needs_mail(
            auth_views.PasswordResetCompleteView.as_view(
                template_name="registration/password_reset_complete.html"
            )
        ),
        name="password_reset_complete",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        needs_mail(
            ResetConfirmView.as_view(template_name="registration/password_reset_confirm.html")
        ),
        name="password_reset_confirm",
    ),
    path("", views.app, name="home"),
    path("workspaces/<int:workspace>/", views.app, name="workspace"),
    path("workspaces/<int:workspace>/datasets/", views.app, name="datasets"),
    path("workspaces/<int:workspace>/endpoints/", views.app, name="endpoints"),
    path("workspaces/<int:workspace>/runs/", views.app, name="workspace-runs"),
    path("workspaces/<int:workspace>/activity/", views.app, name="workspace-activity"),
    path("endpoints/<int:endpoint>/", views.app, name="endpoint"),
    path("graphs/<int:graph>/", views.app, name="editor"),
    path("graphs/<int:graph>/runs/", views.app, name="graph-runs"),
    path("runs/<int:run>/", views.app, name="run"),
    path("runs/<int:run>/compare/<int:other>/", views.app, name="run-compare"),
    path("tokens/", views.app, name="tokens"),
]
