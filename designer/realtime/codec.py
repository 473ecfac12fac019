"""The send path's check: every outgoing message is validated against its model, then encoded."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, NamedTuple

from pydantic import ValidationError

from designer.realtime.collab_protocol import collab_server_adapter
from designer.realtime.frames import text_frame
from designer.realtime.protocol import EVENT_DATA, ProtocolError, server_message_adapter

_CACHE_SIZE = 256


class Encoded(NamedTuple):
    """A checked message: its JSON text and, for a stored event, its whole WebSocket frame."""

    text: str
    frame: bytes | None  # a stored event's frame, built once (see frames.py); None otherwise
    size: int  # bytes of UTF-8 payload in the frame


# Stored events are immutable per (run_id, seq): validate and encode each once per process,
# however many sockets forward it (a snapshot is too, for the sockets that open at one seq).
_encoded: OrderedDict[tuple[Any, Any, Any], tuple[dict[str, Any], Encoded]] = OrderedDict()


def encode(message: dict[str, Any]) -> str:
    """Return the JSON text of a server message, or raise ProtocolError if it breaks its model."""
    return encoded(message).text


def encoded(message: dict[str, Any]) -> Encoded:
    """Return the encoded server message, or raise ProtocolError if it breaks its model."""
    key = (message.get("type"), message.get("run_id"), message.get("seq"))
    cacheable = isinstance(key[2], int)
    if cacheable:
        hit = _encoded.get(key)
        if hit is not None and (hit[0] is message or hit[0] == message):
            return hit[1]
    try:
        model = server_message_adapter.validate_python(message)
    except ValidationError as exc:
        raise ProtocolError(f"refusing to send an invalid {key[0]!r} message: {exc}") from exc
    payload = server_message_adapter.dump_json(model)
    text = payload.decode()
    if not cacheable:
        return Encoded(text, None, len(payload))
    frame = text_frame(payload) if key[0] in EVENT_DATA else None
    encoded = Encoded(text, frame, len(payload))
    _encoded[key] = (message, encoded)
    _encoded.move_to_end(key)
    while len(_encoded) > _CACHE_SIZE:
        _encoded.popitem(last=False)
    return encoded


def encode_collab(message: dict[str, Any]) -> Encoded:
    """Return a co-editing socket message encoded with its frame (a room sends one message to
    many sockets), or raise ProtocolError if it breaks its model."""
    try:
        model = collab_server_adapter.validate_python(message)
    except ValidationError as exc:
        kind = message.get("type")
        raise ProtocolError(f"refusing to send an invalid {kind!r} message: {exc}") from exc
    payload = collab_server_adapter.dump_json(model)
    return Encoded(payload.decode(), text_frame(payload), len(payload))
