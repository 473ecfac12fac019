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
   under WSGI, entered by one hop; sending the answer stays Django's ASGI code. Every
   middleware and view here is sync (none is async-only).
3. sent `request_started` in a hop of its own before that one, and closed the answer (which sends
   `request_finished`) in a third (fifth pass): `SyncRequestHandler.serve` sends
   the signal, builds the request, runs the middleware and the view and closes a whole answer on
   the request's thread in one hop, in WSGI's order; only a streamed answer is closed after it
   was sent, as it must be. And it read every body into a `SpooledTemporaryFile`; a body up to
   FILE_UPLOAD_MAX_MEMORY_SIZE is now kept as bytes (larger ones still go to that file).
4. made a streamed answer whole before sending any of it (Django turns a sync iterator into a
   list on a thread): a 181 MB CSV download of a 1M-row output took the server from ~320 MB to
   ~1 GB. Its parts are now made one at a time on the request's thread, each once the previous
   one has been handed to the server (`pulled`); a file is read `STREAM_BLOCK` at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import io
import logging
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

logger = logging.getLogger(__name__)
IDLE_THREADS = 8  # threads kept for the next requests; more after a burst are ended
STREAM_BLOCK = 1 << 20  # bytes of a file answer read per hop to the request's thread

# Django 5.2's code whose behaviour `SyncRequestHandler` keeps (`handle`, `read_body` and
# `run_get_response` are done its own way; `__call__` enters `handle`; an answer's `close` sends
# `request_finished`): the SHA-256 of each one's source, checked when the application is made.
RELIED_ON = {
    ASGIHandler.__call__: "f756809e9c9308dc",
    ASGIHandler.handle: "98faeb5bef800331",
    ASGIHandler.read_body: "cf4aa904631d5410",
    ASGIHandler.run_get_response: "0234ea5fe09a5777",
    HttpResponseBase.close: "84589f5b23acbb23",
}


class SyncRequestHandler(ASGIHandler):
    """Django's ASGI handler serving a request's sync part (signals, middleware, view) in one hop.

    Overrides `handle` and `read_body` of Django 5.2's `ASGIHandler` (`RELIED_ON` pins the code
    whose behaviour they keep; `tests/unit/test_request_threads.py` fails if an upgrade changes
    it); everything else — building the request, its errors, sending the answer, listening for a
    disconnect, the last-chance 500 — is Django's own.
    """

    def __init__(self) -> None:
        BaseHandler.__init__(self)  # not ASGIHandler's: it would load the async chain too
        self.load_middleware(is_async=False)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """`ASGIHandler.handle` (Django 5.2) with its three hops to the request's thread — the
        started signal, the middleware and view, closing the answer — made one (`serve`).

        Kept as Django does it: the body read before anything else (a client gone by then ends
        the request unanswered), the script prefix set, the answer sent while listening for a
        disconnect (which cancels the request; a view already running finishes on its thread),
        `request_finished` sent once whichever way the request ends, the body file closed.
        """
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        served = Served()

        async def process_request() -> HttpResponseBase:
            response = await sync_to_async(self.serve, thread_sensitive=True)(
                scope, body_file, served
            )
            # a client that disconnected while the answer was sent is ignored, as in Django
            with contextlib.suppress(asyncio.CancelledError):
                await self.send_response(response, send)
            return response

        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request()),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:  # Django's order: the disconnect's listener first, then the request
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            # queued on the request's one thread: runs once the abandoned view has returned
            await sync_to_async(self.finish_abandoned, thread_sensitive=True)(served)
        else:
            if response.streaming:  # sent from its iterator after `serve`: closed now
                await sync_to_async(response.close, thread_sensitive=True)()
        body_file.close()

    def serve(
        self, scope: dict[str, Any], body_file: IO[bytes], served: Served
    ) -> HttpResponseBase:
        """The request's sync part on its thread, in WSGI's order: `request_started`, the request
        built, the middleware and the view, and a whole answer closed (`request_finished`)."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):  # sent in chunk_size pieces, as in Django
                response.block_size = STREAM_BLOCK
        served.response = response
        if response.streaming and not response.is_async:
            response.streaming_content = pulled(response.streaming_content)
        if not response.streaming:
            # its bytes are made: closing it (its resources, `request_finished` and with it the
            # database connections' upkeep) before the loop sends them is what a WSGI server
            # does after writing them, and keeps it to this hop
            response.close()
        return response

    def finish_abandoned(self, served: Served) -> None:
        """End a request whose client left before its answer was sent: `request_finished` once
        (Django's handler sends it; `serve` did if it closed the answer), a streamed answer's
        file or iterator closed."""
        if served.response is None:
            signals.request_finished.send(sender=self.__class__)
        elif served.response.streaming:
            served.response.close()

    async def read_body(self, receive: Any) -> IO[bytes]:
        """`ASGIHandler.read_body` (Django 5.2) with a body up to FILE_UPLOAD_MAX_MEMORY_SIZE kept
        as bytes: Django spools every body into a `SpooledTemporaryFile`, which holds one that
        small in memory too, at the cost of its wrapper on every write and read. A larger body
        goes to that file as Django's does, its chunks written as they arrive; a client that
        disconnects before the body's end ends the request (`RequestAborted`)."""
        limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        chunks: list[bytes] = []
        size = 0
        spooled: IO[bytes] | None = None
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                if spooled is not None:
                    spooled.close()
                raise RequestAborted()
            chunk = message.get("body", b"")
            if spooled is not None:
                spooled.write(chunk)
            elif chunk:
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    # handed to the request, which closes it (`handle` does if it is not made)
                    spooled = tempfile.SpooledTemporaryFile(max_size=limit, mode="w+b")  # noqa: SIM115
                    for held in chunks:
                        spooled.write(held)
                    chunks.clear()  # a Daphne map is unmapped once written (daphne_requests)
            if not message.get("more_body", False):
                break
        if spooled is not None:
            spooled.seek(0)
            return spooled
        return io.BytesIO(chunks[0] if len(chunks) == 1 else b"".join(chunks))


async def pulled(parts: Iterator[bytes]) -> AsyncIterator[bytes]:
    """A streamed answer's parts, each made on the request's thread once the one before has been
    handed to the server (Django's handler makes them all first: the whole answer in memory)."""
    pull = sync_to_async(next, thread_sensitive=True)
    while (part := await pull(parts, None)) is not None:
        yield part


class Served:
    """The answer `serve` made for a request, for the request's end if its client left."""

    response: HttpResponseBase | None = None


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


def changed_django_code() -> list[str]:
    """The Django code `SyncRequestHandler` keeps the behaviour of that is not what was reviewed."""
    return [
        code.__qualname__
        for code, digest in RELIED_ON.items()
        if hashlib.sha256(inspect.getsource(code).encode()).hexdigest()[:16] != digest
    ]


def http_application() -> RequestThreads | ASGIHandler:
    """The server's HTTP application (Django set up first, as `get_asgi_application` does):
    Django's own ASGI handler, with a warning, if the Django code relied on has changed."""
    django.setup(set_prefix=False)
    changed = changed_django_code()
    if changed:
        logger.warning(
            "Django %s changed %s: HTTP is served by Django's own ASGI handler (slower); review "
            "designer/request_threads.SyncRequestHandler against it, then update RELIED_ON",
            django.get_version(),
            ", ".join(changed),
        )
        return ASGIHandler()
    return RequestThreads(SyncRequestHandler())
