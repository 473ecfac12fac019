"""URL routes of designer.endpoints (under /api/)."""

from django.urls import path

from designer.endpoints import api

ENDPOINT = "endpoints/<id:pk>/"
CALL = "invocations/<id:pk>/"

urlpatterns = [
    path(
        "workspaces/<id:pk>/endpoints/", api.WorkspaceEndpointsView.as_view(), name="endpoint-list"
    ),
    path(ENDPOINT, api.EndpointDetailView.as_view(), name="endpoint-detail"),
    path(ENDPOINT + "versions/", api.EndpointVersionsView.as_view(), name="endpoint-versions"),
    path(ENDPOINT + "openapi/", api.EndpointOpenApiView.as_view(), name="endpoint-openapi"),
    path(ENDPOINT + "invoke/", api.InvokeView.as_view(), name="endpoint-invoke"),
    path(
        ENDPOINT + "versions/<id:number>/invoke/",
        api.InvokeVersionView.as_view(),
        name="endpoint-version-invoke",
    ),
    path(
        ENDPOINT + "versions/<id:number>/model.onnx",
        api.EndpointVersionOnnxView.as_view(),
        name="endpoint-version-onnx",
    ),
    path(
        ENDPOINT + "versions/<id:number>/model.onnx.json",
        api.EndpointVersionOnnxManifestView.as_view(),
        name="endpoint-version-onnx-manifest",
    ),
    path(
        ENDPOINT + "invocations/",
        api.EndpointInvocationsView.as_view(),
        name="endpoint-invocations",
    ),
    path(ENDPOINT + "stats/", api.EndpointStatsView.as_view(), name="endpoint-stats"),
    path(
        ENDPOINT + "monitoring/", api.EndpointMonitoringView.as_view(), name="endpoint-monitoring"
    ),
    path(ENDPOINT + "schedules/", api.EndpointSchedulesView.as_view(), name="endpoint-schedules"),
    path(
        ENDPOINT + "schedules/preview/",
        api.SchedulePreviewView.as_view(),
        name="endpoint-schedule-preview",
    ),
    path(CALL, api.InvocationDetailView.as_view(), name="invocation-detail"),
    path(
        CALL + "outputs/<str:name>/", api.InvocationOutputView.as_view(), name="invocation-output"
    ),
    path(
        "workspaces/<id:pk>/endpoint-keys/", api.WorkspaceKeysView.as_view(), name="endpoint-keys"
    ),
    path("endpoint-keys/<id:pk>/", api.KeyDetailView.as_view(), name="endpoint-key-detail"),
    path("schedules/<id:pk>/", api.ScheduleDetailView.as_view(), name="schedule-detail"),
]
