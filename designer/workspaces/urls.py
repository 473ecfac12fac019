"""URL routes of designer.workspaces."""

urlpatterns: list = []
