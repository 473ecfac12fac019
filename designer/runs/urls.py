"""URL routes of designer.runs (under /api/): runs, step logs and outputs, datasets."""

from django.urls import path

from designer.runs import api

RUN = "runs/<id:pk>/"
STEP = RUN + "steps/<str:key>/"
DATASET = "datasets/<id:pk>/"

urlpatterns = [
    path("graphs/<id:pk>/runs/", api.GraphRunsView.as_view(), name="graph-runs"),
    path("workspaces/<id:pk>/runs/", api.WorkspaceRunsView.as_view(), name="workspace-runs"),
    path("graphs/<id:pk>/metrics/", api.GraphMetricsView.as_view(), name="graph-metrics"),
    path("graphs/<id:pk>/sweeps/", api.GraphSweepsView.as_view(), name="graph-sweeps"),
    path(
        "workspaces/<id:pk>/storage/", api.WorkspaceStorageView.as_view(), name="workspace-storage"
    ),
    path(RUN, api.RunDetailView.as_view(), name="run-detail"),
    path(RUN + "cancel/", api.CancelView.as_view(), name="run-cancel"),
    path(RUN + "plan/", api.RunPlanView.as_view(), name="run-plan"),
    path(RUN + "compare/<id:other>/", api.RunCompareView.as_view(), name="run-compare"),
    path("graphs/<id:pk>/plan/", api.PlanPreviewView.as_view(), name="plan-preview"),
    path("graphs/<id:pk>/columns/", api.ColumnsView.as_view(), name="graph-columns"),
    path(RUN + "resume/", api.ResumeView.as_view(), name="run-resume"),
    path(RUN + "inference-graph/", api.InferenceGraphView.as_view(), name="run-inference-graph"),
    path(STEP + "log/", api.StepLogView.as_view(), name="step-log"),
    path(
        STEP + "outputs/<str:port>/preview/",
        api.OutputPreviewView.as_view(),
        name="output-preview",
    ),
    path(
        STEP + "outputs/<str:port>/download/",
        api.OutputDownloadView.as_view(),
        name="output-download",
    ),
    path("workspaces/<id:pk>/datasets/", api.DatasetListView.as_view(), name="dataset-list"),
    path(DATASET, api.DatasetDetailView.as_view(), name="dataset-detail"),
    path(DATASET + "versions/", api.DatasetVersionsView.as_view(), name="dataset-versions"),
    path(
        DATASET + "versions/<str:digest>/preview/",
        api.DatasetPreviewView.as_view(),
        name="dataset-preview",
    ),
    path(
        DATASET + "versions/<str:digest>/usage/",
        api.DatasetUsageView.as_view(),
        name="dataset-usage",
    ),
]
