"""Presence on the co-editing socket: y-protocols awareness updates, checked and stamped.

An awareness update is a list of (client id, clock, state JSON). The server reads every entry a
socket sends, refuses client ids another socket owns and states that break `PresenceState`,
and writes the socket's own `user` into each state, so nobody can appear as somebody else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pycrdt import Decoder, Encoder
from pydantic import ValidationError

from designer.realtime.collab_protocol import PresenceState

# Eight colours that stay apart from each other and from the canvas's port and status colours.
COLORS = ("#e11d48", "#7c3aed", "#0891b2", "#ca8a04", "#db2777", "#4f46e5", "#059669", "#ea580c")


class PresenceError(ValueError):
    """An awareness update a socket may not send."""


@dataclass(frozen=True)
class Entry:
    """One client's awareness entry."""

    client_id: int
    clock: int
    state: dict[str, Any] | None


def collaborator(user_id: int, name: str) -> dict[str, Any]:
    """A user as others see them: id, name and a colour of their own (the same everywhere)."""
    return {"id": user_id, "name": name, "color": COLORS[user_id % len(COLORS)]}


def decode(update: bytes) -> list[Entry]:
    """The entries of an awareness update; PresenceError when it is not one."""
    try:
        decoder = Decoder(update)
        entries = []
        for _ in range(decoder.read_var_uint()):
            client_id = decoder.read_var_uint()
            clock = decoder.read_var_uint()
            text = decoder.read_var_string()
            state = json.loads(text) if text else None
            entries.append(Entry(client_id, clock, state))
    except (IndexError, RuntimeError, UnicodeDecodeError, ValueError) as exc:
        raise PresenceError(f"not an awareness update: {exc}") from exc
    if decoder.length:
        raise PresenceError("not an awareness update: bytes left over")
    return entries


def encode(entries: list[Entry]) -> bytes:
    """An awareness update of these entries (the y-protocols encoding)."""
    encoder = Encoder()
    encoder.write_var_uint(len(entries))
    for entry in entries:
        encoder.write_var_uint(entry.client_id)
        encoder.write_var_uint(entry.clock)
        encoder.write_var_string(json.dumps(entry.state, separators=(",", ":")))
    return encoder.to_bytes()


def stamp(entries: list[Entry], user: dict[str, Any]) -> list[Entry]:
    """Check each state against PresenceState and set its `user` to the socket's user."""
    stamped = []
    for entry in entries:
        if entry.state is None:
            stamped.append(entry)
            continue
        try:
            state = PresenceState.model_validate({**entry.state, "user": user})
        except (ValidationError, TypeError) as exc:
            raise PresenceError(f"presence of client {entry.client_id}: {exc}") from exc
        stamped.append(Entry(entry.client_id, entry.clock, state.model_dump(mode="json")))
    return stamped
