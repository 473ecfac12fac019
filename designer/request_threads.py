"""HTTP requests' sync code on long-lived threads, each keeping its database connection.

Django's ASGI handler runs each request's sync code (middleware, view, signals) on a thread of
its own, started for that request and ended after it (asgiref's `ThreadSensitiveContext`), and
Django's database connections are per thread: every request opened a new connection — ~0.55 ms
of CPU on SQLite (the connection, its functions, the PRAGMAs), a TCP connection and sign-in on
PostgreSQL (~6 ms wall, measured). `RequestThreads` gives each request one thread of a pool
instead (a request still has one thread to itself, and its sync code runs there in order), so a
connection lives as long as its thread, closed by Django between requests as a threaded WSGI
server's would be (`CONN_MAX_AGE`, an unusable connection, an open transaction). Decision 0042.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext

IDLE_THREADS = 8  # threads kept for the next requests; more after a burst are ended


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
