"""The send path's check: every outgoing message is validated against its model, then encoded."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from pydantic import ValidationError

from designer.realtime.protocol import ProtocolError, server_message_adapter

_CACHE_SIZE = 256
# Stored events are immutable per (run_id, seq): validate and encode each once per process,
# however many sockets forward it.
_encoded: OrderedDict[tuple[Any, Any, Any], tuple[dict[str, Any], str]] = OrderedDict()


def encode(message: dict[str, Any]) -> str:
    """Return the JSON text of a server message, or raise ProtocolError if it breaks its model."""
    key = (message.get("type"), message.get("run_id"), message.get("seq"))
    cacheable = isinstance(key[2], int)
    if cacheable:
        hit = _encoded.get(key)
        if hit is not None and hit[0] == message:
            return hit[1]
    try:
        model = server_message_adapter.validate_python(message)
    except ValidationError as exc:
        raise ProtocolError(f"refusing to send an invalid {key[0]!r} message: {exc}") from exc
    text = server_message_adapter.dump_json(model).decode()
    if cacheable:
        _encoded[key] = (message, text)
        _encoded.move_to_end(key)
        while len(_encoded) > _CACHE_SIZE:
            _encoded.popitem(last=False)
    return text
