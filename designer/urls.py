"""Top-level URL map: health, admin, REST API with its schema, WebSocket-free pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from designer.pages.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("designer.workspaces.urls")),
    path("api/", include("designer.graphs.urls")),
    path("api/", include("designer.runs.urls")),
    path("api/", include("designer.endpoints.urls")),
    path("api/", include("designer.activity.urls")),
    path("api/", include("designer.notifications.urls")),
    path("", include("designer.accounts.urls")),
    path("", include("designer.pages.urls")),
]

handler404 = "designer.api_errors.not_found"
handler500 = "designer.api_errors.server_error"
