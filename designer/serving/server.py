"""The scoring process: a framework-free ASGI app over the deployed versions' warm scorers.

Routes (JSON; every error is {"detail", "code", "issues"} with a 4xx, never a traceback):

    POST /v1/versions/<id>/score   {"rows": [{column: value}, ...]} or [...] → {"rows": [...]}
    GET  /v1/versions/<id>         the scorer's info (runtime and why, schema, examples) and
                                   the answering process's stats for the version (by pid)
    GET  /v1/health                {"status": "ok", "pid", "versions": [ids held warm]}

Run it with `python -m designer.serving serve` (uvicorn, several processes on one port). The
control plane deploys a version by writing its bundle (bundles.deploy); each process loads it
on its first call and reloads it when the file is replaced, so no process needs to be told.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from designer.serving.bundles import Loaded
from designer.serving.schema import InputError
from designer.serving.scorer import Scorer
from designer.serving.stats import VersionStats

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = 1024 * 1024
INLINE_ROWS = 100  # larger calls, and graph-path scorers, are scored off the event loop
VERSION = re.compile(r"^/v1/versions/([1-9][0-9]{0,17})(/score)?/?$")
JSON_HEADERS = [(b"content-type", b"application/json")]
log = logging.getLogger(__name__)


def _error(status: int, code: str, detail: str, issues: list[Any] | None = None) -> InputError:
    return InputError(status, code, detail, issues)


class ScoringApp:
    """The ASGI application of a scoring process."""

    def __init__(self, bundles: Path, *, max_body_bytes: int = MAX_BODY_BYTES):
        self.loaded = Loaded(bundles)
        self.max_body_bytes = max_body_bytes
        self.stats: dict[int, VersionStats] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            status, body = await self.handle(scope, receive)
        except InputError as exc:
            status, body = exc.status, exc.to_dict()
        except Exception:
            log.exception("scoring request failed")
            status, body = 500, {"detail": "Internal error.", "code": "internal", "issues": []}
        payload = json.dumps(body, allow_nan=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*JSON_HEADERS, (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def handle(self, scope: Scope, receive: Receive) -> tuple[int, dict[str, Any]]:
        """Route one request: (status, JSON body)."""
        path, method = scope["path"], scope["method"]
        if path.rstrip("/") == "/v1/health":
            _allow(method, "GET")
            return 200, {"status": "ok", "pid": os.getpid(), "versions": self.loaded.versions()}
        match = VERSION.match(path)
        if match is None:
            raise _error(404, "not_found", f"No route {path!r}.")
        version_id = int(match.group(1))
        if match.group(2):
            _allow(method, "POST")
            return await self.score(version_id, scope, receive)
        _allow(method, "GET")
        scorer = self._scorer(version_id)
        stats = self.stats.get(version_id, VersionStats())
        body = {"version": version_id, **scorer.info()}
        return 200, {**body, "stats": {"pid": os.getpid(), **stats.to_dict()}}

    def _scorer(self, version_id: int) -> Scorer:
        scorer = self.loaded.get(version_id)
        if scorer is None:
            self.stats.pop(version_id, None)
            raise _error(404, "not_deployed", f"Version {version_id} is not deployed.")
        return scorer

    async def score(
        self, version_id: int, scope: Scope, receive: Receive
    ) -> tuple[int, dict[str, Any]]:
        """Score one call's rows with a deployed version, counting it in the version's stats."""
        started = time.perf_counter()
        scorer = self._scorer(version_id)
        stats = self.stats.setdefault(version_id, VersionStats())
        rows = 0
        try:
            body = _decode(await _read_body(scope, receive, self.max_body_bytes))
            rows = _row_count(body)
            if scorer.runtime == "graph" or rows > INLINE_ROWS:
                scored = await asyncio.to_thread(scorer.score_body, body)
            else:
                scored = scorer.score_body(body)
        except InputError as exc:
            stats.record(time.perf_counter() - started, rows, exc.to_dict())
            raise
        stats.record(time.perf_counter() - started, rows)
        return 200, {"rows": scored}


def _row_count(body: Any) -> int:
    rows = body.get("rows") if isinstance(body, dict) else body
    return len(rows) if isinstance(rows, list) else 0


def _allow(method: str, allowed: str) -> None:
    if method != allowed:
        raise _error(405, "method_not_allowed", f"Use {allowed} here, not {method}.")


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit`."""
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise _error(
                413, "body_too_large", f"The body is {int(value):,} bytes; the limit is {limit:,}."
            )
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _error(400, "disconnected", "The client went away.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _error(413, "body_too_large", f"The body exceeds the limit of {limit:,} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _decode(raw: bytes) -> Any:
    if not raw.strip():
        raise _error(400, "empty_body", 'The body is empty; send {"rows": [...]}.')
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _error(400, "invalid_json", f"The body is not valid JSON: {exc}.") from exc
    except RecursionError as exc:
        raise _error(400, "invalid_json", "The body nests too deeply.") from exc


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def app_from_environment() -> ScoringApp:
    """The app of a scoring process (uvicorn's factory): DESIGNER_SCORING_BUNDLES names the
    bundle folder, DESIGNER_SCORING_MAX_BODY the body limit in bytes."""
    return ScoringApp(
        Path(os.environ["DESIGNER_SCORING_BUNDLES"]),
        max_body_bytes=int(os.environ.get("DESIGNER_SCORING_MAX_BODY", MAX_BODY_BYTES)),
    )
