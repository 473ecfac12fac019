"""HTML views that load the front-end bundle, and the health check."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from designer.endpoints.background import scoring_state


def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the server and its database respond; `scoring` says how the embedded
    scoring process is (off, starting, ready, restarting), or "external" when it runs apart."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    external = settings.DESIGNER_SCORING_PROCESS != "embedded"
    scoring = "external" if external else (scoring_state() or "off")
    return JsonResponse({"status": "ok", "scoring": scoring})


@login_required
@ensure_csrf_cookie
def app(request: HttpRequest, **_route: object) -> HttpResponse:
    """The single-page app; the client-side router picks the page from the URL."""
    user = {"id": request.user.pk, "username": request.user.get_username()}
    return render(request, "app.html", {"user_info": user})
