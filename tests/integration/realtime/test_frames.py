"""The fan-out's frame path: one frame per stored event, written as is to Daphne connections."""

from __future__ import annotations

import functools
import json
import socket
import types
from typing import Any

import pytest
from daphne.server import Server as DaphneServer
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet import reactor, tcp
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from designer.realtime import frames
from designer.realtime.codec import encoded
from designer.realtime.frames import FrameWriter, FrameWriterMiddleware, text_frame, writer_for
from tests.integration.realtime.harness import Server, open_socket, receive, receive_until_finished
from tests.integration.realtime.script import run_script

OPEN = WebSocketProtocol.STATE_OPEN
EVENT = {
    "type": "step.progress",
    "run_id": 7,
    "seq": 3,
    "data": {"step": "n1", "value": 1, "max": 4},
}


def parse_frame(frame: bytes) -> tuple[int, bytes]:
    """(first byte, payload) of an unmasked server frame; fails on anything else."""
    assert frame[1] & 0x80 == 0, "server frames are not masked"
    size, offset = frame[1] & 0x7F, 2
    if size == 126:
        size, offset = int.from_bytes(frame[2:4], "big"), 4
    elif size == 127:
        size, offset = int.from_bytes(frame[2:10], "big"), 10
    assert len(frame) == offset + size
    return frame[0], frame[offset:]


@pytest.mark.parametrize(
    ("size", "header"), [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10), (200_000, 10)]
)
def test_text_frame_uses_the_shortest_length_encoding(size: int, header: int) -> None:
    payload = b"x" * size
    frame = text_frame(payload)
    assert len(frame) == header + size
    assert parse_frame(frame) == (0x81, payload)


def test_stored_events_carry_their_frame_and_other_messages_do_not() -> None:
    message = encoded(EVENT)
    assert message.frame is not None and message.size == len(message.text.encode())
    assert parse_frame(message.frame) == (0x81, message.text.encode())
    assert json.loads(message.text) == EVENT
    assert encoded(dict(EVENT)) is message  # validated and encoded once per (type, run, seq)
    error = {
        "type": "error",
        "run_id": 7,
        "seq": None,
        "data": {"code": "internal", "message": "x"},
    }
    assert encoded(error).frame is None


class FakeTransport:
    """What FrameWriter reads of Twisted's TCP transport; records what goes where."""

    TLS = False
    connected = 1
    disconnecting = 0
    _writeDisconnected = False

    def __init__(self, accept: int | None = None) -> None:
        self.dataBuffer = b""
        self.offset = 0
        self._tempDataLen = 0
        self.accept = accept  # bytes the socket takes per send (None: all)
        self.sent: list[bytes] = []
        self.buffered: list[bytes] = []

    def writeSomeData(self, data: bytes) -> int:
        taken = len(data) if self.accept is None else min(self.accept, len(data))
        self.sent.append(bytes(data[:taken]))
        return taken

    def write(self, data: bytes) -> None:
        self.buffered.append(data)
        self._tempDataLen += len(data)


class FakeProtocol:
    """What FrameWriter reads of Autobahn's protocol."""

    def __init__(self, transport: FakeTransport, **state: Any) -> None:
        self.transport = transport
        self.state = OPEN
        self.send_queue: list[Any] = []
        self._perMessageCompress = None
        self.autoFragmentSize = 0
        self.maxMessagePayloadSize = 1 << 20
        self.__dict__.update(state)


FRAME = text_frame(b'{"a":1}')


def test_a_frame_is_sent_at_once_when_nothing_waits_for_the_socket() -> None:
    transport = FakeTransport()
    assert FrameWriter(FakeProtocol(transport), OPEN, direct=True).write(FRAME, 7)
    assert transport.sent == [FRAME] and transport.buffered == []


def test_the_unsent_rest_and_later_frames_queue_behind_in_order() -> None:
    transport = FakeTransport(accept=3)
    writer = FrameWriter(FakeProtocol(transport), OPEN, direct=True)
    assert writer.write(FRAME, 7)
    assert transport.sent == [FRAME[:3]] and transport.buffered == [FRAME[3:]]
    second = text_frame(b'{"b":2}')
    assert writer.write(second, 7)  # Twisted holds data for the socket: append, never overtake
    assert transport.sent == [FRAME[:3]] and transport.buffered == [FRAME[3:], second]


def test_a_failed_send_leaves_the_frame_to_twisted() -> None:
    transport = FakeTransport()
    transport.writeSomeData = lambda data: ConnectionResetError()  # type: ignore[method-assign]
    assert FrameWriter(FakeProtocol(transport), OPEN, direct=True).write(FRAME, 7)
    assert transport.buffered == [FRAME]  # Twisted's own write path reports the lost connection


def test_without_direct_sends_frames_go_through_the_transport_buffer() -> None:
    transport = FakeTransport()
    assert FrameWriter(FakeProtocol(transport), OPEN, direct=False).write(FRAME, 7)
    assert transport.sent == [] and transport.buffered == [FRAME]


@pytest.mark.parametrize(
    "state",
    [
        {"state": WebSocketProtocol.STATE_CLOSING},
        {"state": WebSocketProtocol.STATE_CONNECTING},
        {"send_queue": [(b"x", True)]},
        {"_perMessageCompress": object()},
        {"autoFragmentSize": 4},
        {"maxMessagePayloadSize": 4},
    ],
)
def test_anything_autobahn_would_frame_differently_falls_back(state: dict[str, Any]) -> None:
    transport = FakeTransport()
    assert not FrameWriter(FakeProtocol(transport, **state), OPEN, direct=True).write(FRAME, 7)
    assert transport.sent == [] and transport.buffered == []


def daphne_connection() -> tuple[DaphneServer, WebSocketProtocol, socket.socket]:
    """A Daphne WebSocket protocol as after an accepted handshake, over a real Twisted TCP
    transport (one end of a socket pair); returns the server, the protocol and the other end."""
    server = DaphneServer.__new__(DaphneServer)
    factory = WebSocketFactory(server, server="Daphne")
    factory.setProtocolOptions(maxMessagePayloadSize=1 << 20)  # as Daphne configures it
    protocol = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 1))
    protocol.makeConnection(StringTransport())
    protocol.state = OPEN
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    port = types.SimpleNamespace(_realPortNumber=1)
    protocol.transport = tcp.Server(ours, protocol, ("127.0.0.1", 1), port, 1, reactor)
    return server, protocol, theirs


def autobahn_bytes(text: str) -> bytes:
    """What Autobahn itself writes for `websocket.send` of `text` on an open Daphne socket."""
    _, protocol, _ = daphne_connection()
    protocol.transport = StringTransport()
    protocol.client_addr = ("127.0.0.1", 1)  # set by Daphne's onConnect
    protocol.serverSend(text, False)
    return protocol.transport.value()


def test_on_daphne_the_frame_is_what_autobahn_would_write_and_goes_out_at_once() -> None:
    # If a Daphne, Autobahn or Twisted upgrade changes what the writer relies on, this fails
    # rather than the fan-out silently going back to the slow path (or worse).
    server, protocol, theirs = daphne_connection()
    writer = writer_for(functools.partial(server.handle_reply, protocol))
    assert writer is not None and writer.protocol is protocol and writer.direct
    message = encoded(EVENT)
    assert message.frame == autobahn_bytes(message.text)
    assert writer.write(message.frame, message.size)
    assert theirs.recv(1 << 16) == message.frame  # sent in the call, not a loop turn later
    protocol.state = WebSocketProtocol.STATE_CLOSING
    assert not writer.write(message.frame, message.size)


def test_other_servers_get_no_writer() -> None:
    async def send(message: dict[str, Any]) -> None:
        return None

    server, protocol, _ = daphne_connection()
    assert writer_for(send) is None
    assert writer_for(functools.partial(server.handle_reply, object())) is None
    assert writer_for(functools.partial(server.check_headers_type, protocol)) is None


async def test_the_middleware_puts_the_writer_in_the_scope() -> None:
    seen: list[dict[str, Any]] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope)

    server, protocol, _ = daphne_connection()
    app = FrameWriterMiddleware(inner)
    await app({"type": "websocket"}, None, functools.partial(server.handle_reply, protocol))
    await app({"type": "websocket"}, None, lambda message: None)
    standard = FrameWriterMiddleware(inner, direct=False)  # DESIGNER_FRAME_WRITER=standard
    await standard({"type": "websocket"}, None, functools.partial(server.handle_reply, protocol))
    assert isinstance(seen[0][frames.SCOPE_KEY], FrameWriter)
    assert frames.SCOPE_KEY not in seen[1] and frames.SCOPE_KEY not in seen[2]


def test_the_self_check_passes_with_the_pinned_daphne_autobahn_and_twisted() -> None:
    assert frames.self_check() is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"text_frame": lambda payload: b"\x01" + payload}, "frames a 20-byte message differently"),
        ({"_PROTOCOL_STATE": ("state", "renamed")}, "protocol lacks what the writer reads"),
        ({"_TRANSPORT_STATE": ("TLS", "renamed")}, "transport lacks what the direct send reads"),
    ],
)
def test_the_self_check_notices_an_upgrade_that_breaks_the_writer(
    monkeypatch: pytest.MonkeyPatch, change: dict[str, Any], reason: str
) -> None:
    for name, value in change.items():
        monkeypatch.setattr(frames, name, value)
    found = frames.self_check()
    assert found is not None and reason in found


def test_the_setting_chooses_the_path_and_a_failed_check_falls_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert frames.direct_writes("direct")
    assert not frames.direct_writes("standard")
    with pytest.raises(ValueError, match="DESIGNER_FRAME_WRITER"):
        frames.direct_writes("fast")
    monkeypatch.setattr(frames, "self_check", lambda: "Autobahn frames it differently")
    assert not frames.direct_writes("direct")
    assert "frames take the standard path: Autobahn frames it differently" in caplog.text


async def test_both_paths_deliver_the_same_stream(rt_database: Any, server: Any) -> None:
    """A run's events over a real Daphne whose frames take the standard path, and over the
    session's (direct) one: the same messages, in the same order."""
    standard = Server(rt_database, DESIGNER_FRAME_WRITER="standard")
    try:
        streams = []
        for daphne in (server, standard):
            team = daphne.control("team", members={"viewer": "viewer"})
            run = daphne.control("create_run", workspace=team["workspace"], steps=4)["run"]
            socket_path = f"/ws/runs/{run}/"
            async with await open_socket(daphne, socket_path, team["users"]["viewer"]) as ws:
                await receive(ws)  # the snapshot
                daphne.control("produce", run=run, events=run_script(4))
                messages = await receive_until_finished(ws)
            streams.append([(m["type"], m["seq"], json.dumps(m["data"])) for m in messages])
        direct, plain = streams
        assert len(direct) > 10 and [m[:2] for m in direct] == [m[:2] for m in plain]
    finally:
        standard.stop()
