"""One WebSocket frame per stored event, written as is to every Daphne socket that forwards it.

Through Channels and Daphne, each `websocket.send` of each socket goes through Channels' send
wrappers, Daphne's reply handler, Autobahn's `sendMessage`/`sendFrame`/`sendData` (which
formats a debug log line even when debug logging is off), then Twisted's write buffer, which
registers the socket with the event loop and sends at the next loop turn (two `epoll_ctl` and a
callback per write). Measured at 500 sockets that was ~86 µs of server CPU per socket and event,
nearly all of it per socket, not per event (decision 0009).

The bytes are the same on every socket: server frames are not masked and Daphne negotiates no
permessage-deflate. So a stored event's frame is built once (`codec.encoded`), and
`FrameWriter.write` gives it to each socket directly: sent at once when nothing is waiting in
Twisted's buffer for that socket (what Twisted's own `doWrite` would do a loop turn later),
otherwise appended to that buffer so the order is kept.

The direct write is taken only when it is exactly what Autobahn would have written: the
socket is open, Autobahn's own send queue is empty, no compression and no automatic
fragmentation apply, and the message is within the size limit. Otherwise, and under any other
ASGI server or Channels' test communicator, there is no writer or `write` returns False and
the consumer sends the usual `websocket.send`. Both paths write to the same transport
synchronously, in call order.

Because this reads Autobahn's and Twisted's internals, it is a setting (DESIGNER_FRAME_WRITER:
`direct`, the default, or `standard`), and `direct` is only taken after `self_check` found, at
start-up, that the installed Daphne, Autobahn and Twisted still have everything it reads and
that Autobahn frames sample messages of every length encoding exactly as `text_frame` does;
otherwise the server logs why and every message takes the standard path.
"""

from __future__ import annotations

import functools
import logging
import socket
import types
from typing import Any

logger = logging.getLogger(__name__)
WRITERS = ("direct", "standard")

SCOPE_KEY = "designer.frame_writer"
_TEXT_FIN = 0x81  # FIN + opcode 1 (text)
# What `write` reads of Autobahn's protocol: if any is missing (a different Autobahn), there is no
# writer and every message takes the usual path.
_PROTOCOL_STATE = (
    "state",
    "send_queue",
    "_perMessageCompress",
    "autoFragmentSize",
    "maxMessagePayloadSize",
    "transport",
)
# What the direct send reads of Twisted's TCP transport (a FileDescriptor): if any is missing
# (a different Twisted), frames still go through `transport.write`.
_TRANSPORT_STATE = (
    "TLS",
    "connected",
    "disconnecting",
    "_writeDisconnected",
    "dataBuffer",
    "offset",
    "_tempDataLen",
    "writeSomeData",
)


def text_frame(payload: bytes) -> bytes:
    """The unmasked, unfragmented RFC 6455 text frame (FIN, opcode 1) carrying `payload`."""
    size = len(payload)
    if size < 126:
        head = bytes((_TEXT_FIN, size))
    elif size < 1 << 16:
        head = bytes((_TEXT_FIN, 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((_TEXT_FIN, 127)) + size.to_bytes(8, "big")
    return head + payload


class FrameWriter:
    """Writes finished frames to one Daphne (Autobahn over Twisted) WebSocket connection."""

    __slots__ = ("direct", "open_state", "protocol")

    def __init__(self, protocol: Any, open_state: int, direct: bool) -> None:
        self.protocol = protocol
        self.open_state = open_state
        self.direct = direct

    def write(self, frame: bytes, payload_size: int) -> bool:
        """Write `frame` if Autobahn would have written exactly these bytes now; else False."""
        protocol = self.protocol
        if (
            protocol.state != self.open_state
            or protocol.send_queue
            or protocol._perMessageCompress is not None
            or 0 < protocol.autoFragmentSize < payload_size
            or 0 < protocol.maxMessagePayloadSize < payload_size
        ):
            return False
        transport = protocol.transport
        if (
            self.direct
            and not transport._tempDataLen
            and transport.offset == len(transport.dataBuffer)
            and transport.connected
            and not transport.disconnecting
            and not transport._writeDisconnected
            and not transport.TLS
        ):
            sent = transport.writeSomeData(frame)  # an int, or the error the loop will see
            if isinstance(sent, int) and sent >= len(frame):
                return True
            frame = frame[sent:] if isinstance(sent, int) and sent > 0 else frame
        transport.write(frame)
        return True


def writer_for(send: Any) -> FrameWriter | None:
    """A FrameWriter when `send` is Daphne's send callable of a WebSocket connection."""
    if not isinstance(send, functools.partial) or len(send.args) != 1:
        return None
    try:
        from daphne.server import Server
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:  # pragma: no cover - Daphne is a runtime dependency
        return None
    owner = getattr(send.func, "__self__", None)
    protocol = send.args[0]
    if not isinstance(owner, Server) or send.func.__name__ != "handle_reply":
        return None
    if not isinstance(protocol, WebSocketProtocol):
        return None
    if not all(hasattr(protocol, name) for name in _PROTOCOL_STATE):
        return None
    transport = protocol.transport
    direct = all(hasattr(transport, name) for name in _TRANSPORT_STATE)
    return FrameWriter(protocol, WebSocketProtocol.STATE_OPEN, direct)


def self_check() -> str | None:
    """Why the direct path cannot be used with the installed Daphne, Autobahn and Twisted, or
    None when it can: on a Daphne connection in memory, Autobahn frames sample messages (every
    length encoding) exactly as the writer does, and on one over Twisted's TCP transport (a
    socket pair, no event loop) the writer's direct send delivers the frame whole."""
    try:
        from daphne.server import Server
        from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
        from twisted.internet import tcp
        from twisted.internet.address import IPv4Address
        from twisted.internet.testing import StringTransport

        server = Server.__new__(Server)
        factory = WebSocketFactory(server, server="Daphne")
        factory.setProtocolOptions(maxMessagePayloadSize=1 << 20)  # as Daphne configures it
        protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 1))
        memory = StringTransport()
        protocol.makeConnection(memory)
        protocol.state = WebSocketProtocol.STATE_OPEN
        protocol.client_addr = ("127.0.0.1", 1)  # set by Daphne's onConnect
        writer = writer_for(functools.partial(server.handle_reply, protocol))
        if writer is None:
            return "Daphne's WebSocket protocol lacks what the writer reads"
        frames = []
        for size in (20, 300, 70_000):
            payload = ("[" + "7," * size)[: size - 1] + "]"
            memory.clear()
            protocol.serverSend(payload, False)
            frames.append(text_frame(payload.encode()))
            if memory.value() != frames[-1]:
                return f"Autobahn frames a {size}-byte message differently"
        ours, theirs = socket.socketpair()
        try:
            ours.setblocking(False)
            port = types.SimpleNamespace(_realPortNumber=1)
            protocol.transport = tcp.Server(ours, protocol, ("127.0.0.1", 1), port, 1, _NoLoop())
            writer = writer_for(functools.partial(server.handle_reply, protocol))
            if writer is None or not writer.direct:
                return "Twisted's TCP transport lacks what the direct send reads"
            if not writer.write(frames[0], len(frames[0]) - 2) or theirs.recv(64) != frames[0]:
                return "the direct send did not deliver the frame"
        finally:
            ours.close()
            theirs.close()
    except Exception as exc:
        return f"the check failed: {exc!r}"
    return None


class _NoLoop:
    """A reactor that registers nothing: the self-check's transport never enters a loop."""

    def addReader(self, reader: Any) -> None:
        return None

    addWriter = removeReader = removeWriter = addReader


def direct_writes(setting: str) -> bool:
    """Whether this process writes stored events' frames directly (see the module docstring)."""
    if setting not in WRITERS:
        raise ValueError(f"DESIGNER_FRAME_WRITER must be one of {WRITERS}, not {setting!r}")
    if setting == "standard":
        return False
    reason = self_check()
    if reason is not None:
        logger.warning("realtime: frames take the standard path: %s", reason)
    return reason is None


class FrameWriterMiddleware:
    """Outermost WebSocket middleware: puts the connection's FrameWriter (if any) in the scope,
    when `direct` (else every message takes the standard path)."""

    def __init__(self, inner: Any, direct: bool = True) -> None:
        self.inner = inner
        self.direct = direct

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        writer = writer_for(send) if self.direct else None
        if writer is not None:
            scope = dict(scope, **{SCOPE_KEY: writer})
        return await self.inner(scope, receive, send)
