"""URL routes of designer.graphs."""

urlpatterns: list = []
