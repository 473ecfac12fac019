"""URL routes of designer.runs."""

urlpatterns: list = []
