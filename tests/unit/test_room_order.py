"""A co-editing room and its sockets end with every change, whatever order the changes come in.

Changes from other server processes can arrive before the ones they build on (a lost layer
message). The document keeps such a change waiting until what it builds on comes (pycrdt 0.14
even drops some of what waits; the stored state, merged back every few seconds, brings it
again). Once the document has it all, the sockets must have been sent all of it, and the shadow
copy that checks edits must hold it too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random

import pytest
from pycrdt import Doc

from designer.graphs.shared_doc import doc_from_state, lenient_document, roots, write_document
from designer.realtime.codec import Encoded
from designer.realtime.rooms import Room
from tests.support.shared_edits import SCRIPT_AND_NOTE, RandomEditor

EDITORS = 3


class Socket:
    """A room socket that applies every update it is sent to its own copy."""

    def __init__(self, state: bytes) -> None:
        self.doc = doc_from_state(state)
        self.user = {"id": 1, "name": "editor"}
        self.can_edit = True
        self.received = 0
        self.presence_ids: set[int] = set()

    async def send_encoded(self, out: Encoded) -> None:
        message = json.loads(out.text)
        if message["type"] == "collab.update":
            self.doc.apply_update(base64.b64decode(message["data"]["update"]))

    async def reconnect(self) -> None:
        raise AssertionError("no compaction happens here")


def edit_streams(seed: int, state: bytes) -> tuple[list[bytes], Doc]:
    """Seeded random edits by a few editors who sync now and then: each edit's update, in the
    order made, and a document that took them all."""
    rng = random.Random(seed)
    copies = [doc_from_state(state) for _ in range(EDITORS)]
    editors = [RandomEditor(seed * 10 + i, f"e{i}") for i in range(EDITORS)]
    updates = []
    for _ in range(40):
        i = rng.randrange(EDITORS)
        before = copies[i].get_state()
        with copies[i].transaction():
            editors[i].edit(roots(copies[i]))
        updates.append(copies[i].get_update(before))
        if rng.random() < 0.3:
            other = copies[rng.randrange(EDITORS)]
            other.apply_update(copies[i].get_update(other.get_state()))
    whole = doc_from_state(state)
    for update in updates:
        whole.apply_update(update)
    return updates, whole


def base_state() -> bytes:
    doc = doc_from_state(None)
    write_document(doc, SCRIPT_AND_NOTE)
    return doc.get_update()


async def room_with(state: bytes) -> tuple[Room, Socket]:
    room = Room(7)
    room._integrate(state)
    socket = Socket(state)
    room.sockets.add(socket)
    return room, socket


async def deliver_all(room: Room, updates: list[bytes]) -> None:
    """Give the room other processes' changes, as a REST save publishes them (not saved again)."""
    for update in updates:
        await room.deliver({"type": "collab.changes", "update": update, "origin": "server"})


def assert_all_hold(room: Room, socket: Socket, whole: Doc) -> None:
    expected = lenient_document(whole)[0]
    assert lenient_document(room.doc)[0] == expected
    assert lenient_document(room.shadow.doc)[0] == expected
    assert lenient_document(socket.doc)[0] == expected


def follow_store(room: Room, stored: Doc) -> None:
    """Merge in what the stored state has beyond the room's, as the room does every few seconds."""
    room.merge(stored.get_update(room.state_vector()))


async def settled(room: Room) -> None:
    """Let the room send what it queued; stop its save (there is no database here)."""
    for _ in range(5):
        await asyncio.sleep(0)
    if room.save_task is not None:
        room.save_task.cancel()


@pytest.mark.parametrize("seed", range(40))
def test_changes_from_other_rooms_in_any_order_reach_the_document_and_sockets(seed: int) -> None:
    state = base_state()
    updates, whole = edit_streams(seed, state)
    random.Random(seed).shuffle(updates)

    async def scenario() -> tuple[Room, Socket]:
        room, socket = await room_with(state)
        await deliver_all(room, updates)
        follow_store(room, whole)
        await settled(room)
        return room, socket

    assert_all_hold(*asyncio.run(scenario()), whole)


@pytest.mark.parametrize("seed", range(20))
def test_an_edit_that_brings_what_a_waiting_change_builds_on_sends_both(seed: int) -> None:
    """A tab that was on another server brings, in its sync answer, changes this room has not
    had; a change from that server that came first and builds on them goes out with them."""
    state = base_state()
    updates, whole = edit_streams(seed, state)
    early, late = updates[: len(updates) // 2], updates[len(updates) // 2 :]

    async def scenario() -> tuple[Room, Socket]:
        room, watcher = await room_with(state)
        tab = Socket(state)
        room.sockets.add(tab)
        await deliver_all(room, late)  # the other server's changes, before what they build on
        held = doc_from_state(state)
        for update in early:
            held.apply_update(update)
        await room.edit(tab, held.get_update(room.state_vector()))  # the tab's sync answer
        follow_store(room, whole)
        await settled(room)
        return room, watcher

    assert_all_hold(*asyncio.run(scenario()), whole)
