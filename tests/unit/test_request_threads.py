"""HTTP requests reuse pooled threads, and with them their database connection; concurrent
requests still each have a thread of their own; a request's sync part (signals, middleware, view)
is entered from the event loop once."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest
from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.db import connections

from designer.request_threads import RequestThreads, http_application


async def get(app: Any, path: str) -> list[dict[str, Any]]:
    """The messages a GET of `path` through the ASGI application `app` sends back."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }  # fmt: skip
    messages: list[dict[str, Any]] = []
    request: dict[str, Any] | None = {"type": "http.request", "body": b"", "more_body": False}

    async def receive() -> dict[str, Any]:
        nonlocal request
        if request is not None:
            message, request = request, None
            return message
        await asyncio.Event().wait()  # no disconnect: the request ends by itself
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages


def release(app: RequestThreads) -> None:
    """Close the kept threads' database connections and end them (the test database is dropped
    after the tests, which PostgreSQL refuses while a session is open)."""
    for executor in app._idle:
        executor.submit(connections.close_all).result()
        executor.shutdown()


def threads_that_connected(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Three requests one after another: the thread of each database connection they opened."""
    wrapper = type(connections["default"])
    opened: list[int] = []
    connect = wrapper.get_new_connection

    def counted(self: Any, params: dict[str, Any]) -> Any:
        opened.append(threading.get_ident())
        return connect(self, params)

    monkeypatch.setattr(wrapper, "get_new_connection", counted)
    app = http_application()

    async def three() -> list[int]:
        return [(await get(app, "/healthz"))[0]["status"] for _ in range(3)]

    try:
        assert asyncio.run(three()) == [200, 200, 200]
    finally:
        release(app)
    return opened


@pytest.mark.django_db(transaction=True)
def test_requests_one_after_another_open_one_database_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened = threads_that_connected(monkeypatch)
    assert len(opened) == 1, "each request opened a connection of its own"


@pytest.mark.django_db(transaction=True)
def test_without_a_connection_age_each_request_closes_its_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connections["default"].vendor == "sqlite" and connections["default"].is_in_memory_db():
        pytest.skip("closing the in-memory test database is a no-op (run on PostgreSQL)")
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    opened = threads_that_connected(monkeypatch)
    assert len(opened) == 3, "request_finished left a connection open past CONN_MAX_AGE 0"
    assert len(set(opened)) == 1, "on the pooled thread"


def test_concurrent_requests_run_on_threads_of_their_own_and_the_pool_keeps_two() -> None:
    together = threading.Barrier(3, timeout=5)  # all three requests' sync code at once
    seen: list[tuple[int, int]] = []

    def sync_part() -> int:
        if len(seen) < 3:
            together.wait()
        return threading.get_ident()

    async def django_like(scope: Any, receive: Any, send: Any) -> None:
        async with ThreadSensitiveContext():  # as Django's ASGI handler opens one a request
            first = await sync_to_async(sync_part)()
            second = await sync_to_async(threading.get_ident)()
        seen.append((first, second))

    app = RequestThreads(django_like, idle=2)

    async def main() -> None:
        await asyncio.gather(*(app({}, None, None) for _ in range(3)))
        await asyncio.gather(*(app({}, None, None) for _ in range(2)))  # on the kept two

    asyncio.run(main())
    assert all(first == second for first, second in seen), "a request's sync code on one thread"
    burst, after = {first for first, _ in seen[:3]}, {first for first, _ in seen[3:]}
    assert len(burst) == 3
    assert len(after) == 2 and after <= burst, "two threads kept from the burst, reused"


@pytest.mark.django_db(transaction=True)
def test_a_request_is_served_in_one_hop(monkeypatch: pytest.MonkeyPatch) -> None:
    hops: list[str] = []
    enter = SyncToAsync.__call__

    async def counted(self: SyncToAsync, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await enter(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    app = http_application()
    try:
        asyncio.run(get(app, "/healthz"))  # the first request loads what is loaded once
        hops.clear()
        missing, found = asyncio.run(get(app, "/api/none/")), asyncio.run(get(app, "/healthz"))
    finally:
        release(app)
    assert missing[0]["status"] == 404
    assert found[0]["status"] == 200 and json.loads(found[1]["body"])["status"] == "ok"
    headers = dict(found[0]["headers"])
    assert headers[b"X-Frame-Options"] == b"DENY", "the middleware ran on the answer"
    # one hop a request: the started signal, the middleware, the view and closing the answer
    # (Django's handler: ~20; with the middleware in one hop, 3)
    assert hops == ["SyncRequestHandler.serve"] * 2, hops
