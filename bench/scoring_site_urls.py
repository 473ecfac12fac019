"""The project's URLs plus bench/scoring_site.py's scoring view (CSRF-exempt, as an API is)."""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from scoring_site import score_view

from designer.urls import urlpatterns as project

urlpatterns = [path("bench/score/<int:version>/", csrf_exempt(score_view)), *project]
