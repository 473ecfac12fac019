"""Views (and their URLconf) that the request handler's tests serve through the ASGI application."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt

events: list[tuple[str, int]] = []  # (what happened, on which thread), in order
release = threading.Event()  # lets the slow view return
entered = threading.Event()  # set once the slow view runs
FILE_DATA = bytes(range(256)) * 12_289  # ~3 MiB, not a whole number of blocks


@csrf_exempt
def body(request: HttpRequest) -> JsonResponse:
    """The body as the view reads it, and the kind of stream it was read from."""
    events.append(("view", threading.get_ident()))
    stream = type(request._stream).__name__  # type: ignore[attr-defined]
    head = request.body[:8].decode()
    return JsonResponse({"length": len(request.body), "head": head, "stream": stream})


def where(request: HttpRequest) -> JsonResponse:
    """Where the request is, as the view sees it and as a URL it reverses says."""
    return JsonResponse({"path_info": request.path_info, "url": reverse("where")})


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a secret in the traceback")


def streamed(request: HttpRequest) -> StreamingHttpResponse:
    def parts() -> Iterator[bytes]:
        try:
            for i in range(3):
                events.append((f"part {i} made", threading.get_ident()))
                yield f"part {i}\n".encode()
        finally:
            events.append(("parts closed", threading.get_ident()))

    return StreamingHttpResponse(parts(), content_type="text/plain")


def file(request: HttpRequest) -> FileResponse:
    """A file answer of FILE_DATA whose closing is seen."""
    data = io.BytesIO(FILE_DATA)
    closing = data.close

    def close() -> None:
        events.append(("file closed", threading.get_ident()))
        closing()

    data.close = close  # type: ignore[method-assign]
    return FileResponse(data, content_type="application/octet-stream")


def slow(request: HttpRequest) -> HttpResponse:
    events.append(("view", threading.get_ident()))
    entered.set()
    release.wait(10)
    events.append(("view returns", threading.get_ident()))
    return HttpResponse("late")


urlpatterns = [
    path("body/", body),
    path("where/", where, name="where"),
    path("fails/", fails),
    path("streamed/", streamed),
    path("file/", file),
    path("slow/", slow),
]
