"""HTML views that load the front-end bundle, and the health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the server and its database respond."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
@ensure_csrf_cookie
def app(request: HttpRequest, **_route: object) -> HttpResponse:
    """The single-page app; the client-side router picks the page from the URL."""
    user = {"id": request.user.pk, "username": request.user.get_username()}
    return render(request, "app.html", {"user_info": user})
