"""What the server's HTTP handler keeps of Django's ASGI handler while serving a request in one hop:
the signals (same arguments, in order, on the request's thread), the body and its size limits,
streamed answers, a client that leaves mid-request, 500s without tracebacks, the script name."""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signals
from django.core.handlers.asgi import ASGIHandler

from designer import request_threads
from designer.request_threads import SyncRequestHandler, changed_django_code, http_application
from tests.unit import request_views
from tests.unit.test_request_threads import release


async def call(
    app: Any,
    method: str,
    path: str,
    chunks: list[bytes] | None = None,
    root_path: str = "",
    leave: bool = False,
) -> list[dict[str, Any]]:
    """The messages `app` sends back for a request whose body comes in `chunks`; with `leave`
    the client disconnects once the view runs."""
    chunks = chunks or [b""]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": root_path, "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-length", b"%d" % sum(map(len, chunks)))],
    }  # fmt: skip
    messages: list[dict[str, Any]] = []
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        if not leave:
            await asyncio.Event().wait()  # no disconnect: the request ends by itself
        while not request_views.entered.is_set():
            await asyncio.sleep(0.01)
        asyncio.get_running_loop().call_later(0.1, request_views.release.set)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        request_views.events.append(("sent", threading.get_ident()))

    await app(scope, receive, send)
    return messages


def answer(messages: list[dict[str, Any]]) -> tuple[int, bytes]:
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


@pytest.fixture
def app(settings: Any) -> Iterator[Any]:
    settings.ROOT_URLCONF = "tests.unit.request_views"
    request_views.events.clear()
    request_views.entered.clear()
    request_views.release.clear()
    seen = request_views.events

    def started(sender: Any, scope: Any, **kwargs: Any) -> None:
        seen.append((f"started {sender.__name__} {scope['path']}", threading.get_ident()))

    def finished(sender: Any, **kwargs: Any) -> None:
        seen.append((f"finished {getattr(sender, '__name__', sender)}", threading.get_ident()))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    application = http_application()
    try:
        yield application
    finally:
        release(application)
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)


def what(events: list[tuple[str, int]]) -> list[str]:
    return [event for event, _ in events]


def test_the_signals_view_and_close_run_in_order_on_the_requests_one_thread(app: Any) -> None:
    status, body = answer(asyncio.run(call(app, "POST", "/body/", [b"hello"])))
    assert status == 200 and json.loads(body)["length"] == 5
    events = request_views.events
    handler = SyncRequestHandler.__name__
    assert what(events) == [
        f"started {handler} /body/",
        "view",
        f"finished {handler}",
        "sent",
        "sent",
    ]
    assert len({thread for event, thread in events if event != "sent"}) == 1, events


def test_a_small_body_is_read_into_memory_not_a_spooled_file(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[int] = []
    spooled = tempfile.SpooledTemporaryFile

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(1)
        return spooled(*args, **kwargs)

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", counted)
    status, body = answer(asyncio.run(call(app, "POST", "/body/", [b"abcd", b"efgh" * 100, b""])))
    assert status == 200
    assert json.loads(body) == {"length": 404, "head": "abcdefgh", "stream": "BytesIO"}
    assert made == [], "a body of 404 bytes went through a spooled temporary file"


def test_a_body_over_the_in_memory_limit_is_spooled_whole(app: Any, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    chunks = [b"0123456789" * 70] * 3  # over the limit in the second chunk
    status, body = answer(asyncio.run(call(app, "POST", "/body/", chunks)))
    assert status == 200
    assert json.loads(body) == {
        "length": 2100,
        "head": "01234567",
        "stream": "SpooledTemporaryFile",
    }


def test_a_body_over_the_upload_limit_is_refused_with_a_400(app: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    status, _ = answer(asyncio.run(call(app, "POST", "/body/", [b"x" * 101])))
    assert status == 400
    assert what(request_views.events).count(f"finished {SyncRequestHandler.__name__}") == 1


def test_an_exception_is_a_500_without_its_traceback(app: Any) -> None:
    status, body = answer(asyncio.run(call(app, "GET", "/fails/")))
    assert status == 500
    assert b"secret" not in body and b"Traceback" not in body
    assert what(request_views.events).count(f"finished {SyncRequestHandler.__name__}") == 1


def test_a_streamed_answer_is_sent_whole_then_closed(app: Any) -> None:
    messages = asyncio.run(call(app, "GET", "/streamed/"))
    assert answer(messages) == (200, b"part 0\npart 1\npart 2\n")
    assert messages[-1] == {"type": "http.response.body"}
    events = what(request_views.events)
    finished = f"finished {SyncRequestHandler.__name__}"
    assert events.count(finished) == 1
    assert events.index(finished) > max(i for i, e in enumerate(events) if e == "sent")
    assert events.index("parts closed") < events.index(finished)


def test_a_streamed_answer_is_made_a_part_at_a_time_as_it_is_sent(app: Any) -> None:
    asyncio.run(call(app, "GET", "/streamed/"))
    events = [e for e in what(request_views.events) if e == "sent" or e.startswith("part ")]
    assert events == [
        "sent",  # the status and headers
        *["part 0 made", "sent", "part 1 made", "sent", "part 2 made", "sent"],
        "sent",  # the end
    ]
    request_thread = {t for e, t in request_views.events if e.startswith("started ")}
    assert {t for e, t in request_views.events if e.startswith("part ")} == request_thread


def test_a_file_answer_is_sent_whole_in_chunks_then_closed(app: Any) -> None:
    messages = asyncio.run(call(app, "GET", "/file/"))
    assert answer(messages) == (200, request_views.FILE_DATA)
    assert all(len(m.get("body", b"")) <= 65536 for m in messages[1:])
    events = what(request_views.events)
    finished = f"finished {SyncRequestHandler.__name__}"
    assert events.count("file closed") == 1 and events.index("file closed") < events.index(finished)


def test_a_client_that_leaves_mid_request_gets_nothing_and_the_request_finishes_once(
    app: Any,
) -> None:
    messages = asyncio.run(call(app, "GET", "/slow/", leave=True))
    assert messages == []
    events = request_views.events
    handler = SyncRequestHandler.__name__
    assert what(events) == [
        f"started {handler} /slow/",
        "view",
        "view returns",
        f"finished {handler}",
    ]
    assert len({thread for _, thread in events}) == 1, "the end ran on the request's thread"


def test_the_root_path_is_the_script_name(app: Any) -> None:
    messages = asyncio.run(call(app, "GET", "/prefix/where/", root_path="/prefix"))
    assert answer(messages) == (200, b'{"path_info": "/where/", "url": "/prefix/where/"}')


def test_a_change_in_the_django_code_relied_on_falls_back_to_djangos_handler(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert changed_django_code() == []  # this Django is the one reviewed
    code = next(iter(request_threads.RELIED_ON))
    monkeypatch.setitem(request_threads.RELIED_ON, code, "0" * 16)
    warned: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = warned.append  # type: ignore[method-assign]
    request_threads.logger.addHandler(handler)  # django.setup() reconfigures the root logger
    try:
        fallback = http_application()
    finally:
        request_threads.logger.removeHandler(handler)
    assert type(fallback) is ASGIHandler
    [warning] = [record.getMessage() for record in warned]
    assert code.__qualname__ in warning and "Django's own ASGI handler" in warning
    messages = asyncio.run(call(fallback, "GET", "/prefix/where/", root_path="/prefix"))
    assert answer(messages) == (200, b'{"path_info": "/where/", "url": "/prefix/where/"}')
