"""URL routes of designer.pages: sign in and out, and the app's pages."""

from django.contrib.auth import views as auth_views
from django.urls import path

from designer.pages import views

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
