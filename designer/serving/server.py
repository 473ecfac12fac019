"""The scoring process: a framework-free ASGI app that scores real-time endpoint calls with the
deployed versions' warm scorers.

Routes (JSON; every error is {"detail", "code", "issues"} with a 4xx, never a traceback):

    POST /score/endpoints/<id>/               rows → {"version": n, "rows": [scored rows]}: the
                                              default version, or the split's other version
                                              for its share of calls
    POST /score/endpoints/<id>/versions/<n>/  the same, always version n
    GET  /score/health                        {"status": "ok"}
    GET  /score/openapi.json                  this API's OpenAPI document (openapi.py)

A call needs `Authorization: Bearer dse_…`, an endpoint key allowed to call that endpoint,
within its rate (one budget per key, shared with the web server: ratelimit.py). Keys, versions,
their bundles and the traffic split come from the routing table the control plane publishes in
the artifact store (routes.py); each process loads the bundles a new table names on a thread
(or a version's on its first call), from the store through its host's cache (bundles.py), so
deploying and switching need no message to any process and no folder shared with the web
hosts. A call in flight keeps the scorer it started with. Figures per version and minute, and
when each key was last let through, are written to the store every few seconds (stats.py),
never per call.
Run it with `python -m designer.serving serve` (uvicorn, several processes on one port).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import re
import signal
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from designer.engine.store import ArtifactError, ArtifactStore, open_store
from designer.serving.bundles import BundleError, Loaded
from designer.serving.openapi import service_openapi
from designer.serving.ratelimit import AsyncRates, SharedRates, host_file
from designer.serving.routes import EndpointRoute, KeyRoute, Routes, RouteTable
from designer.serving.schema import InputError
from designer.serving.scorer import MAX_ROWS, Scorer
from designer.serving.stats import ProcessStats

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = 1024 * 1024
FLUSH_SECONDS = 5.0
REFRESH_SECONDS = "1"  # a bucket's routing table is looked at this often (a GET), not per call
WATCH_SECONDS = 1.0  # between calls, a new routing table is looked for (its scorers warmed)
INLINE_ROWS = 100  # larger calls, and graph-path scorers, are scored off the event loop
ID = "([1-9][0-9]{0,17})"
CALL = re.compile(rf"^/score/endpoints/{ID}(?:/versions/{ID})?/?$")
HEALTH = "/score/health"
OPENAPI = "/score/openapi.json"
# keys are bearer credentials, never cookies: any page may call with a key it was given
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-headers", b"authorization, content-type"),
    (b"access-control-allow-methods", b"POST, GET, OPTIONS"),
    (b"access-control-max-age", b"600"),
]
log = logging.getLogger(__name__)


class Refused(InputError):
    """A call refused before scoring (key, scope, rate, state), with headers of its own."""

    def __init__(self, status: int, code: str, detail: str, headers: list[tuple[bytes, bytes]]):
        super().__init__(status, code, detail)
        self.headers = headers


def _error(status: int, code: str, detail: str) -> Refused:
    return Refused(status, code, detail, [])


class ScoringApp:
    """The ASGI application of a scoring process."""

    def __init__(
        self,
        store: ArtifactStore,
        root: Path,
        *,
        refresh: float = 0.0,
        max_body_bytes: int = MAX_BODY_BYTES,
        flush_seconds: float = FLUSH_SECONDS,
        exit_with_parent: bool = False,
        redis_url: str | None = None,
    ):
        """`store`: the artifact store the control plane deploys to; `root`: this host's
        scoring folder (the keys' rates without Redis); `refresh`: seconds between two looks
        for a new routing table."""
        self.loaded = Loaded(store)
        self.routes = Routes(store, refresh)
        self.rates = AsyncRates(SharedRates(host_file(root)), redis_url)
        self.stats = ProcessStats(store)
        self.max_body_bytes = max_body_bytes
        self.flush_seconds = flush_seconds
        self.exit_with_parent = exit_with_parent
        self._warmed: RouteTable | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers: list[tuple[bytes, bytes]] = []
        try:
            status, body = await self.handle(scope, receive)
        except Refused as exc:
            status, body, headers = exc.status, exc.to_dict(), exc.headers
        except InputError as exc:
            status, body = exc.status, exc.to_dict()
        except Exception:
            log.exception("scoring request failed")
            status, body = 500, {"detail": "Internal error.", "code": "internal", "issues": []}
        payload = b"" if body is None else json.dumps(body, allow_nan=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    *CORS,
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def handle(self, scope: Scope, receive: Receive) -> tuple[int, Any]:
        """Route one request: (status, JSON body or None)."""
        path, method = scope["path"], scope["method"]
        if method == "OPTIONS":
            return 204, None
        if path.rstrip("/") == HEALTH:
            _allow(method, "GET")
            return 200, {"status": "ok"}
        if path == OPENAPI:
            _allow(method, "GET")
            return 200, service_openapi(MAX_ROWS)
        match = CALL.match(path)
        if match is None:
            raise _error(404, "not_found", f"No route {path!r}; calls go to /score/endpoints/ID/.")
        _allow(method, "POST")
        pinned = None if match.group(2) is None else int(match.group(2))
        return await self.call(int(match.group(1)), pinned, scope, receive)

    async def call(
        self, endpoint_id: int, pinned: int | None, scope: Scope, receive: Receive
    ) -> tuple[int, dict[str, Any]]:
        """Check the key, pick the version, score the rows, count the call."""
        started = time.perf_counter()
        table = self.routes.current()
        key = _key(table.key, scope)
        endpoint = table.endpoints.get(endpoint_id)
        if endpoint is None or not key.allows(endpoint):
            raise _error(404, "not_found", f"Endpoint {endpoint_id} not found.")
        if not endpoint.enabled:
            raise _error(
                409,
                "endpoint_disabled",
                f"Endpoint {endpoint_id} is disabled; an editor can enable it on its page.",
            )
        now = time.time()
        wait = await self.rates.take(key.id, key.rate_per_minute, now)
        if wait is not None:
            raise Refused(
                429,
                "throttled",
                f"Key {key.prefix}… may make {key.rate_per_minute} calls a minute; "
                f"retry in {wait:.0f} s.",
                [(b"retry-after", str(int(wait)).encode())],
            )
        self.stats.used(key.id, now)
        self._warm(table)
        number, version_id, scorer = await self._version(table, endpoint, pinned)
        raw = b""
        rows = 0
        try:
            raw = await _read_body(scope, receive, self.max_body_bytes, scorer.max_rows)
            body = _decode(raw)
            rows = _row_count(body)
            if scorer.runtime == "graph" or rows > INLINE_ROWS:
                scored = await asyncio.to_thread(scorer.score_body, body, endpoint.extra_columns)
            else:
                scored = scorer.score_body(body, endpoint.extra_columns)
        except InputError as exc:
            kept = raw if endpoint.capture_errors else None
            self.stats.record(version_id, time.perf_counter() - started, rows, exc.to_dict(), kept)
            raise
        sample = (_rows(body), scorer.profile.keys())
        self.stats.record(version_id, time.perf_counter() - started, rows, sample=sample)
        return 200, {"version": number, "rows": scored}

    def _warm(self, table: RouteTable) -> None:
        """Load the scorers of every version a new routing table names, on a thread, so that a
        version's first call does not wait for its bundle (nor block the event loop)."""
        if table is self._warmed:
            return
        self._warmed = table
        self.loaded.keep(set(table.bundles.values()))
        named = {v for e in table.endpoints.values() for v in e.versions.values()}
        digests = sorted({table.bundles[v] for v in named if v in table.bundles})
        threading.Thread(target=self._load, args=(digests,), name="warm", daemon=True).start()

    def _load(self, digests: list[str]) -> None:
        for digest in digests:
            try:
                self.loaded.get(digest)
            except BundleError as exc:
                log.error("bundle %s: %s", digest[:12], exc)

    async def _version(
        self, table: RouteTable, endpoint: EndpointRoute, pinned: int | None
    ) -> tuple[int, int, Scorer]:
        """(number, version id, warm scorer) of the version that answers this call; one not
        loaded yet is loaded off the event loop (other endpoints' calls go on meanwhile)."""
        number = pinned if pinned is not None else endpoint.choose(random.random())
        version_id = None if number is None else endpoint.versions.get(number)
        if number is None or version_id is None:
            which = "a default version" if number is None else f"a version {number}"
            raise _error(404, "not_found", f"Endpoint {endpoint.id} has no {which}.")
        digest = table.bundles.get(version_id)
        scorer = None
        try:
            scorer = None if digest is None else await asyncio.to_thread(self.loaded.get, digest)
        except BundleError as exc:
            log.error("version %s of endpoint %s: %s", number, endpoint.id, exc)
        if scorer is None:
            raise _error(
                503,
                "version_unavailable",
                f"Version {number} of endpoint {endpoint.id} cannot be loaded here; "
                "the server's operator can redeploy it (manage.py scoring_sync).",
            )
        return number, version_id, scorer

    async def lifespan(self, receive: Receive, send: Send) -> None:
        """Start the stats writer with the process, write the figures once more at the end."""
        tasks: list[asyncio.Task[None]] = []
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._warm(self.routes.current())
                tasks.append(asyncio.create_task(self._write_stats()))
                tasks.append(asyncio.create_task(self._watch_routes()))
                if self.exit_with_parent:
                    tasks.append(asyncio.create_task(_exit_with_parent(os.getppid())))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in tasks:
                    task.cancel()
                self.stats.flush()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _watch_routes(self) -> None:
        """Look for a new routing table every WATCH_SECONDS (or the refresh interval, if
        longer) between calls too, and warm the scorers it names: a version just published is
        loaded before its first call, not during it (~2.6 s for a first model, measured)."""
        while True:
            await asyncio.sleep(max(WATCH_SECONDS, self.routes.refresh))
            try:
                self._warm(await asyncio.to_thread(self.routes.current))
            except Exception:
                log.exception("could not look for a new routing table")

    async def _write_stats(self) -> None:
        while True:
            await asyncio.sleep(self.flush_seconds)
            try:
                await asyncio.to_thread(self.stats.flush)
            except (OSError, ArtifactError):
                log.exception("could not write the scoring stats")


async def _exit_with_parent(parent: int) -> None:
    """SIGTERM this process (uvicorn's graceful stop) once the process that started it is gone,
    so that no orphan keeps the port when the supervisor is killed."""
    while os.getppid() == parent:
        await asyncio.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _key(lookup: Callable[[str], KeyRoute | None], scope: Scope) -> KeyRoute:
    """The endpoint key the call signs in with (401 naming what is wrong)."""
    header = next((v for n, v in scope.get("headers", []) if n == b"authorization"), None)
    parts = header.decode("latin-1").split() if header is not None else []
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise Refused(
            401,
            "not_authenticated",
            "Send an endpoint key: Authorization: Bearer dse_…",
            [(b"www-authenticate", b'Bearer realm="score"')],
        )
    key = lookup(parts[1])
    if key is None:
        raise Refused(
            401,
            "authentication_failed",
            "Invalid or revoked endpoint key (real-time endpoints take endpoint keys, dse_…, "
            "not personal API tokens).",
            [(b"www-authenticate", b'Bearer realm="score", error="invalid_token"')],
        )
    return key


def _rows(body: Any) -> list[Any]:
    rows = body.get("rows") if isinstance(body, dict) else body
    return rows if isinstance(rows, list) else []


def _row_count(body: Any) -> int:
    return len(_rows(body))


def _allow(method: str, allowed: str) -> None:
    """A 405 with the Allow header (RFC 9110) unless `method` is the route's (OPTIONS is
    answered everywhere: CORS preflights)."""
    if method != allowed:
        raise Refused(
            405,
            "method_not_allowed",
            f"Use {allowed} here, not {method}.",
            [(b"allow", f"{allowed}, OPTIONS".encode())],
        )


async def _read_body(scope: Scope, receive: Receive, limit: int, max_rows: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit`."""
    hint = f"; send at most {max_rows:,} rows per call"
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise _error(
                413,
                "body_too_large",
                f"The body is {int(value):,} bytes; the limit is {limit:,}{hint}.",
            )
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _error(400, "disconnected", "The client went away.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _error(
                413, "body_too_large", f"The body exceeds the limit of {limit:,} bytes{hint}."
            )
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _decode(raw: bytes) -> Any:
    if not raw.strip():
        raise _error(400, "empty_body", 'The body is empty; send {"rows": [{column: value}]}.')
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _error(400, "invalid_json", f"The body is not valid JSON: {exc}.") from exc
    except RecursionError as exc:
        raise _error(400, "invalid_json", "The body nests too deeply.") from exc


def app_from_environment() -> ScoringApp:
    """The app of a scoring process (uvicorn's factory): DESIGNER_SCORING_STORE names the
    artifact store (a folder or an s3:// URL, with the AWS_* variables), DESIGNER_SCORING_BUNDLES
    this host's scoring folder, DESIGNER_SCORING_REFRESH_SECONDS how often a new routing table
    is looked for (default: every call in a folder store, every second in a bucket),
    DESIGNER_SCORING_MAX_BODY the body limit in bytes, DESIGNER_SCORING_FLUSH_SECONDS how often
    the figures are written, DESIGNER_SCORING_EXIT_WITH_PARENT=1 stops the process with its
    parent, REDIS_URL (as the web server's) puts the keys' rate limits in Redis."""
    location = os.environ["DESIGNER_SCORING_STORE"]
    refresh = os.environ.get("DESIGNER_SCORING_REFRESH_SECONDS") or (
        REFRESH_SECONDS if "://" in location else "0"
    )
    return ScoringApp(
        open_store(location),
        Path(os.environ["DESIGNER_SCORING_BUNDLES"]),
        refresh=float(refresh),
        max_body_bytes=int(os.environ.get("DESIGNER_SCORING_MAX_BODY", MAX_BODY_BYTES)),
        flush_seconds=float(os.environ.get("DESIGNER_SCORING_FLUSH_SECONDS", FLUSH_SECONDS)),
        exit_with_parent=os.environ.get("DESIGNER_SCORING_EXIT_WITH_PARENT") == "1",
        redis_url=os.environ.get("REDIS_URL") or None,
    )
