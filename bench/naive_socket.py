"""The connect baseline of bench/ws.py: the realtime test app plus a stock Channels socket.

`/ws/naive/` is what the Channels tutorial builds: origin check, Channels' session auth stack,
a consumer with its own layer channel that joins one group on the channel layer, accepts and
sends one small JSON message. No token, no membership check, no snapshot read. Served by the
same Daphne process as the real sockets, so both are measured in the same run.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from tests.integration.realtime.testapp import application as designer_application

NAIVE_PATH = "/ws/naive/"


class NaiveConsumer(AsyncJsonWebsocketConsumer):
    """Joins a group, accepts the first offered subprotocol, sends a run.snapshot-typed hello."""

    async def connect(self) -> None:
        await self.channel_layer.group_add("naive", self.channel_name)
        offered = self.scope.get("subprotocols") or []
        await self.accept(subprotocol=offered[0] if offered else None)
        await self.send_json({"type": "run.snapshot", "seq": 0})

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard("naive", self.channel_name)


naive = AllowedHostsOriginValidator(
    AuthMiddlewareStack(URLRouter([path(NAIVE_PATH.lstrip("/"), NaiveConsumer.as_asgi())]))
)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The naive socket on NAIVE_PATH, everything else to the realtime test app."""
    if scope["type"] == "websocket" and scope["path"] == NAIVE_PATH:
        await naive(scope, receive, send)
    else:
        await designer_application(scope, receive, send)
