"""URL routes of designer.pages."""

urlpatterns: list = []
