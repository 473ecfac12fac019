"""How the server runs an HTTP request's sync code: in one hop, on a long-lived thread.

Django's ASGI handler (decision 0042, third pass, measured on the run POST):
1. ran each request's sync code on a thread of its own, started for that request and ended
   after it (asgiref's `ThreadSensitiveContext`), and Django's database connections are per
   thread: every request opened a connection — ~0.55 ms of CPU on SQLite (the connection, its
   functions, the PRAGMAs), a TCP connection and sign-in on PostgreSQL (~6 ms wall). Here each
   request takes a thread from a pool instead (still one thread to itself, its sync code run
   there in order), so a connection lives as long as its thread, closed by Django between
   requests as a threaded WSGI server's would be (`CONN_MAX_AGE`, an unusable connection, an
   open transaction).
2. ran its middleware in async mode: every middleware's request and response halves were a hop
   from the event loop to that thread and back (~18 a request), ~1 ms of CPU before the view
   and ~0.9 ms after it. `SyncRequestHandler` runs the middleware and the view as Django does
   under WSGI, entered by one hop; reading the body, the signals and sending the response stay
   Django's ASGI code. Every middleware and view here is sync (none is async-only).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.http import FileResponse, HttpRequest, HttpResponseBase

IDLE_THREADS = 8  # threads kept for the next requests; more after a burst are ended


class SyncRequestHandler(ASGIHandler):
    """Django's ASGI handler with the middleware chain and the view run in one hop, sync."""

    def __init__(self) -> None:
        BaseHandler.__init__(self)  # not ASGIHandler's: it would load the async chain too
        self.load_middleware(is_async=False)

    async def run_get_response(self, request: HttpRequest) -> HttpResponseBase:
        """`ASGIHandler.run_get_response` with the sync `get_response` (WSGI's) in one hop."""
        response = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):  # the server chunks: as Django's handler does
            response.block_size = self.chunk_size
        return response


class RequestThreads:
    """ASGI middleware: run each HTTP request's sync code on a thread taken from a pool."""

    def __init__(self, app: Any, idle: int = IDLE_THREADS) -> None:
        self.app = app
        self.keep = idle
        self._idle: list[ThreadPoolExecutor] = []
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        executor = self._take()
        try:
            # the outer context with an executor wins over the one Django's handler opens
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        finally:
            self._give_back(executor)

    def _take(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="http-request")

    def _give_back(self, executor: ThreadPoolExecutor) -> None:
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(executor)
                return
        executor.shutdown(wait=False)


def http_application() -> RequestThreads:
    """The server's HTTP application (Django set up first, as `get_asgi_application` does)."""
    django.setup(set_prefix=False)
    return RequestThreads(SyncRequestHandler())
