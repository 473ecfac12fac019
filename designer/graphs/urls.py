"""URL routes of designer.graphs (under /api/)."""

from django.urls import path

from designer.graphs import api

urlpatterns = [
    path("modules/", api.ModuleCatalogueView.as_view(), name="module-list"),
    path("workspaces/<id:pk>/graphs/", api.GraphListView.as_view(), name="graph-list"),
    path("workspaces/<id:pk>/graphs/import/", api.GraphImportView.as_view(), name="graph-import"),
    path(
        "workspaces/<id:pk>/graphs/from-example/",
        api.FromExampleView.as_view(),
        name="graph-from-example",
    ),
    path("examples/", api.ExampleListView.as_view(), name="example-list"),
    path("graphs/<id:pk>/", api.GraphDetailView.as_view(), name="graph-detail"),
    path("graphs/<id:pk>/draft/", api.DraftView.as_view(), name="graph-draft"),
    path("graphs/<id:pk>/duplicate/", api.DuplicateView.as_view(), name="graph-duplicate"),
    path("graphs/<id:pk>/export/", api.ExportView.as_view(), name="graph-export"),
    path("graphs/<id:pk>/versions/", api.VersionListView.as_view(), name="version-list"),
    path(
        "graphs/<id:pk>/versions/<id:number>/",
        api.VersionDetailView.as_view(),
        name="version-detail",
    ),
    path(
        "graphs/<id:pk>/versions/<id:number>/restore/",
        api.RestoreView.as_view(),
        name="version-restore",
    ),
    path("graphs/<id:pk>/diff/", api.DiffView.as_view(), name="graph-diff"),
    path("graphs/<id:pk>/validate/", api.ValidateView.as_view(), name="graph-validate"),
    path("graphs/<id:pk>/compile/", api.CompileView.as_view(), name="graph-compile"),
]
