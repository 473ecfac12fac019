"""A terminal client of the run socket: prints the live stream, resuming after a dropped link."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlparse

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from designer.realtime.protocol import SUBPROTOCOL, server_message_adapter

FINAL = {"succeeded", "failed", "canceled"}
EXIT_CODES = {"succeeded": 0, "failed": 1, "canceled": 1}
REFUSED = 2


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def describe(message: dict[str, Any]) -> list[str]:
    """Human-readable lines for one protocol message."""
    kind, data, seq = message["type"], message["data"], message["seq"]
    if kind == "run.snapshot":
        run = data["run"]
        lines = [
            f"run {run['id']} (graph {run['graph']} v{run['version']}): {run['status']}"
            f" — as of event #{seq}"
        ]
        for step in data["steps"]:
            note = step["error"] or step["reason"]
            lines.append(
                f"  {step['key']:<16} {step['status']:<16} attempt {step['attempts']}"
                + (f"  {note}" if note else "")
            )
        return lines
    if kind == "error":
        return [f"error: {data['code']}: {data['message']}"]
    if kind == "run.status":
        return [f"#{seq} run {data['status']}"]
    if kind == "run.finished":
        counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data["counts"].items())
        return [f"#{seq} run {data['status']} in {data['duration']:.1f}s ({counts})"]
    step = data.get("step", "")
    if kind == "step.status":
        note = data["error"] or data["reason"]
        return [
            f"#{seq} {step} {data['status']} (attempt {data['attempt']})"
            + (f": {note}" if note else "")
        ]
    if kind == "step.progress":
        return [f"#{seq} {step} progress {100 * data['value'] / data['max']:.0f}%"]
    if kind == "step.log":
        return [f"#{seq} {step} [{data['stream']}] {line}" for line in data["lines"]]
    if kind == "step.output":
        return [
            f"#{seq} {step} output {data['port']}: {data['kind']} {_size(data['size'])}"
            f" {data['digest'][:12]}"
        ]
    return [json.dumps(message)]


def socket_url(server: str, run_id: int, **query: Any) -> str:
    """The run socket's URL on a server given as http(s):// or ws(s):// base URL."""
    parsed = urlparse(server if "://" in server else f"http://{server}")
    scheme = "wss" if parsed.scheme in {"https", "wss"} else "ws"
    suffix = f"?{urlencode(query)}" if query else ""
    return f"{scheme}://{parsed.netloc}/ws/runs/{run_id}/{suffix}"


def origin_of(server: str) -> str:
    """The Origin header a server accepts from its own pages."""
    parsed = urlparse(server if "://" in server else f"http://{server}")
    return f"{'https' if parsed.scheme in {'https', 'wss'} else 'http'}://{parsed.netloc}"


async def watch(
    server: str,
    run_id: int,
    token: str,
    emit: Callable[[str], None],
    as_json: bool = False,
    resume_from: int | None = None,
    retries: int = 5,
) -> int:
    """Print a run's stream until it finishes; returns 0 if it succeeded, 1 if not, 2 if refused."""
    last = resume_from
    failures = 0
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    while True:
        query = {} if last is None else {"resume_from": last}
        try:
            async with connect(
                socket_url(server, run_id, **query),
                origin=origin_of(server),  # type: ignore[arg-type]
                subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
                additional_headers=headers,
                proxy=None,
            ) as socket:
                failures = 0
                async for text in socket:
                    message = json.loads(text)
                    server_message_adapter.validate_python(message)
                    for line in [text] if as_json else describe(message):
                        emit(line)
                    kind = message["type"]
                    if kind == "error":
                        return REFUSED
                    if kind == "run.snapshot":
                        last = message["seq"]
                        if message["data"]["run"]["status"] in FINAL:
                            return EXIT_CODES[message["data"]["run"]["status"]]
                    elif message["seq"] is not None:
                        last = message["seq"]
                    if kind == "run.finished":
                        return EXIT_CODES[message["data"]["status"]]
        except InvalidStatus as exc:
            emit(f"error: the server refused the connection (HTTP {exc.response.status_code})")
            return REFUSED
        except (ConnectionClosed, OSError) as exc:
            failures += 1
            if failures > retries:
                emit(f"error: connection lost ({exc}); giving up")
                return REFUSED
            emit(f"connection lost ({exc}); resuming after event #{last}")
            await asyncio.sleep(min(0.5 * 2**failures, 5))


def run_watch(**kwargs: Any) -> int:
    """Run watch() to completion."""
    return asyncio.run(watch(**kwargs))
