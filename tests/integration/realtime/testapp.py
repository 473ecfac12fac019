"""The real ASGI application, plus a /__control__/ HTTP endpoint that only tests mount."""

from __future__ import annotations

import json
import traceback
from typing import Any

from asgiref.sync import sync_to_async

from tests.integration.realtime.layer_override import apply_layer_override
from tests.integration.realtime.profiling import profile_from_env, trace_gc_from_env

apply_layer_override()
profile_from_env()
trace_gc_from_env()

from designer.asgi import application as designer_application  # noqa: E402
from tests.integration.realtime import control  # noqa: E402

CONTROL_PREFIX = "/__control__/"


async def _respond(send: Any, status: int, body: Any) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def control_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Run one control command (JSON arguments in, JSON result out)."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    command = control.COMMANDS.get(scope["path"][len(CONTROL_PREFIX) :].strip("/"))
    if command is None:
        await _respond(send, 404, {"error": "unknown command"})
        return
    try:
        result = await sync_to_async(command, thread_sensitive=False)(**json.loads(body or b"{}"))
    except Exception:
        await _respond(send, 500, {"error": traceback.format_exc()})
        return
    await _respond(send, 200, result)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Route control requests to the control app, everything else to the designer."""
    if scope["type"] == "http" and scope["path"].startswith(CONTROL_PREFIX):
        await control_app(scope, receive, send)
    else:
        await designer_application(scope, receive, send)
