"""Co-editing rooms: one graph's shared Y document per server process, its sockets and presence.

Every socket editing graph G in this process is in the process's Room for G. A room

- holds G's Y document, loaded from the database (`graphs.services.open_shared_state`);
- tries each edit (a Yjs update) on a shadow copy first: a viewer's change, or one that would
  break the graph document (`graphs.shared_doc.check_entries`, the engine's schema), is refused
  and never reaches the document, the other sockets or the database;
- applies accepted edits, sends what changed to its other sockets and to the channel-layer group
  `graph.<id>`, where the rooms of G in other server processes receive it (through the hub); the
  changes of one event-loop tick go to the sockets as one merged update (one message, one frame);
- saves its state, merged into the stored one, as the draft SAVE_DELAY after a change, then
  tells each socket how many of its edit messages the saved draft includes;
- lets nothing into the document before what it builds on (decision 0046): such a change is
  dropped (a socket is asked for everything the room lacks instead);
- merges the stored state back every SYNC_SECONDS, so a change another process published but
  this one never received (a lost layer message), or dropped as early, still arrives;
- when it closes (its last socket left, after its final save), has the stored state compacted if
  it outgrew the draft (`graphs.services.compact_shared_state`, decision 0036). A socket whose
  copy is of an earlier generation has its edits carried over onto the document
  (`graphs.carry`) and is sent the current state (`collab.replace`).

Yjs updates commute and applying one twice changes nothing, so every room, every browser and the
stored state converge to the same document whatever the order of delivery.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import uuid
import weakref
from typing import Any, Protocol

from channels.db import database_sync_to_async
from pycrdt import Awareness, merge_updates

from designer.graphs.carry import carry
from designer.graphs.services import (
    compact_shared_state,
    missing_shared_state,
    open_shared_state,
    retired_state,
    save_shared_state,
)
from designer.graphs.shared_doc import (
    SharedDocError,
    WatchedDoc,
    doc_from_state,
    lenient_document,
    pycrdt_panicked,
    took_whole,
    write_document,
)
from designer.realtime import presence
from designer.realtime.broadcast import graph_group
from designer.realtime.codec import Encoded, encode_collab
from designer.realtime.hub import get_hub

logger = logging.getLogger(__name__)
SAVE_DELAY = 0.25  # seconds from a change to its save (changes meanwhile are saved together)
SYNC_SECONDS = 2.0  # how often a room merges the stored state back
YIELD_EVERY = 25  # sockets served between yields to the event loop


def b64(data: bytes) -> str:
    """Bytes as the protocol's base64 text."""
    return base64.b64encode(data).decode()


class RoomSocket(Protocol):
    """A socket in a room."""

    user: dict[str, Any]  # the Collaborator others see
    can_edit: bool
    received: int  # edit messages taken from this socket (what `collab.saved` counts)
    presence_ids: set[int]  # awareness client ids this socket has spoken for

    async def send_encoded(self, out: Encoded) -> None:
        """Send an encoded, checked protocol message."""

    async def reconnect(self) -> None:
        """Close the socket so that the client connects again (its copy is of a retired
        generation: reconnecting carries its edits over)."""


class Refused(Exception):
    """An edit the room does not take."""

    def __init__(self, code: str, message: str, issues: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.issues = issues or []


class StaleCopy:
    """A socket's copy of an earlier generation: the retired state with its edits applied, and
    the document its edits not carried over yet are measured against."""

    def __init__(self, retired: bytes) -> None:
        self.doc = doc_from_state(retired)
        self.base = lenient_document(self.doc)[0]


class Room:
    """One graph's shared document in this process."""

    def __init__(self, graph_id: int) -> None:
        self.graph_id = graph_id
        self.group = graph_group(graph_id)
        self.origin = uuid.uuid4().hex  # marks this room's own layer messages
        self.sockets: set[RoomSocket] = set()
        self._hold(None)
        self.awareness = Awareness(self.doc)
        self.owners: dict[int, RoomSocket] = {}  # awareness client id → the socket that sent it
        self.revision = 1
        self.generation = 1  # of the state the room holds (decision 0036)
        # Sockets whose copy is of an earlier generation, until they sync on this one (None:
        # too old to carry over; their edits are ignored).
        self.stale: dict[RoomSocket, StaleCopy | None] = {}
        self.stored_vector = b"\x00"  # the state vector of the stored state, as last seen
        self.dirty = False
        self.editor_id: int | None = None  # the last user whose edit is not saved yet
        self.save_lock = asyncio.Lock()
        self.save_task: asyncio.Task[None] | None = None
        self.sync_task: asyncio.Task[None] | None = None
        self.outbox = Outbox(self.group, self.origin)
        self.pending: list[bytes] = []  # changes of this tick, not sent to the sockets yet
        self.pending_sources: set[RoomSocket | None] = set()  # whose edits they are
        self.send_task: asyncio.Task[None] | None = None

    # ---- lifecycle -----------------------------------------------------------------------

    async def open(self) -> None:
        """Join the graph's layer group, then load the stored state (nothing published is lost:
        what arrives meanwhile merges in any order)."""
        await get_hub().subscribe(self.group, self)
        stored = await database_sync_to_async(open_shared_state)(self.graph_id)
        self.generation = self.outbox.generation = stored.generation
        self._integrate(stored.state)
        self.stored_vector = self.doc.get_state()
        self.sync_task = asyncio.get_running_loop().create_task(self._sync_loop())

    async def close(self) -> None:
        """Save what is unsaved, stop listening; then compact the stored state if it outgrew
        the draft (the service decides, under the row lock, on the state as stored)."""
        for task in (self.sync_task, self.save_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        saved = await self.save()
        await self.outbox.close()
        await get_hub().unsubscribe(self.group, self)
        if saved:
            try:
                await database_sync_to_async(compact_shared_state)(self.graph_id, self.generation)
            except Exception:
                logger.exception("co-editing: compacting graph %s failed", self.graph_id)

    # ---- the document --------------------------------------------------------------------

    def _hold(self, state: bytes | None) -> None:
        """Hold `state` as the document, and a shadow copy of it that tries each edit first."""
        self.doc = doc_from_state(state)
        self.doc_changed = False
        self.doc_subscription = self.doc.observe(self._note_change)
        self.shadow = WatchedDoc(state)

    def _note_change(self, event: Any) -> None:
        self.doc_changed = True

    def _integrate(self, update: bytes) -> bytes | None:
        """Apply an update that needs no check (another room's, the stored state's, a carry);
        return it if it changed the document, else None.

        It goes through the shadow first: one that builds on a change the room lacks (a lost
        or late layer message) is dropped there and never reaches the document (decision
        0046); the stored state, merged back every SYNC_SECONDS, brings it again with what it
        builds on. The sockets then get the update as it came: each holds what the document
        held, so it takes it whole too."""
        self.shadow.take(update)
        if not took_whole(self.shadow.doc, update):
            self._reset_shadow()
            return None
        before = self.doc.get_state()
        self.doc_changed = False
        self.doc.apply_update(update)
        if not self.doc_changed and self.doc.get_state() == before:
            return None
        return update

    def state_vector(self) -> bytes:
        """The document's state vector."""
        return self.doc.get_state()

    def missing(self, state_vector: bytes) -> bytes:
        """What a client with this state vector lacks."""
        return self.doc.get_update(state_vector)

    async def edit(self, socket: RoomSocket, update: bytes) -> None:
        """Take an edit message from a socket, or raise Refused (nothing of it applied)."""
        if socket in self.stale:
            await self._carry_in(socket, update)
            return
        try:
            changed = self.shadow.apply(update) is not None
        except Exception as exc:  # pycrdt: malformed update bytes
            self._reset_shadow()
            raise Refused("invalid_update", "That is not a Yjs update.", [str(exc)]) from exc
        except BaseException as exc:
            if not pycrdt_panicked(exc):
                raise
            changed = self._apply_unwatched(update)
        if not took_whole(self.shadow.doc, update):
            socket.received += 1  # taken: the socket's answer brings it
            await self._ask_rest(socket)
            return
        if changed:
            if not socket.can_edit:
                self._reset_shadow()
                raise Refused("forbidden", "You are a viewer in this workspace: edits are refused.")
            try:
                self.shadow.check()
            except SharedDocError as exc:
                self._reset_shadow()
                raise Refused(
                    "invalid_update",
                    "That edit would break the graph document.",
                    [i.message for i in exc.issues],
                ) from exc
        socket.received += 1
        if changed:
            self.doc.apply_update(update)  # the same update the shadow took (decision 0046)
            self.editor_id = socket.user["id"]
            self._share(update, socket)
        elif not self.dirty and not self.save_lock.locked():
            # Nothing new (an answer to the sync handshake with no offline edits): all of this
            # socket's edits are in the saved draft already.
            await socket.send_encoded(self._saved(socket.received))

    async def _ask_rest(self, socket: RoomSocket) -> None:
        """A socket's edit builds on a change the room lacks (sent before the socket's sync
        answer brought it): drop it, since pycrdt mishandles updates that wait for others
        (decision 0046), and ask the socket for everything the room lacks, as on connecting
        (sync step 1). Its answer holds this edit too."""
        self._reset_shadow()
        await socket.send_encoded(
            self._message("collab.sync_step1", state_vector=b64(self.doc.get_state()))
        )

    # ---- copies of an earlier generation (decision 0036) -----------------------------------

    async def sync(self, socket: RoomSocket, state_vector: bytes, generation: int) -> bytes | None:
        """A socket's `collab.sync_step1`: what it lacks, or None when its copy is of an earlier
        generation (its edits are then carried over as they come: `_carry_in`). Raises Refused
        when that generation is no longer kept."""
        if generation == self.generation or state_vector in (b"", b"\x00"):
            self.stale.pop(socket, None)
            return self.missing(state_vector)
        if socket in self.stale:
            return None
        if generation > self.generation:  # another process compacted the state: catch up
            await self._follow_store(keep=socket)
            if generation == self.generation:
                return self.missing(state_vector)
        retired = None
        if generation < self.generation:
            retired = await database_sync_to_async(retired_state)(self.graph_id, generation)
        self.stale[socket] = StaleCopy(retired) if retired is not None else None
        if retired is None:
            raise Refused(
                "generation_expired",
                f"Your copy of this graph is of generation {generation}, which the server no "
                f"longer keeps (it is at {self.generation}): your changes cannot be merged. "
                "Download your copy before reloading.",
            )
        return None

    async def _carry_in(self, socket: RoomSocket, update: bytes) -> None:
        """An edit message of a socket whose copy is of an earlier generation: carry what it
        changed onto the document (as an edit of the room) and save it, then send it the current
        state."""
        copy = self.stale[socket]
        if copy is None:
            return  # refused as too old: what it sends is not taken
        try:
            copy.doc.apply_update(update)
        except Exception as exc:  # pycrdt: malformed update bytes
            raise Refused("invalid_update", "That is not a Yjs update.", [str(exc)]) from exc
        socket.received += 1
        theirs = lenient_document(copy.doc)[0]
        merged = socket.can_edit and theirs != copy.base
        if merged:
            change = self._write(carry(copy.base, theirs, lenient_document(self.doc)[0]))
            copy.base = theirs
            if change is not None:
                self.editor_id = socket.user["id"]
                self._share(change, socket)
                # Saved before the tab is told: its new copy has nothing unsaved to show.
                await self.save()
        replace = {"generation": self.generation, "state": b64(self.doc.get_update())}
        await socket.send_encoded(self._message("collab.replace", **replace, merged=merged))

    def _write(self, document: dict[str, Any]) -> bytes | None:
        """Make the document hold `document` (entries that break the schema left out) by the
        smallest change; return the change, or None."""
        copy = doc_from_state(self.doc.get_update())
        before = copy.get_state()
        write_document(copy, document)
        valid, issues = lenient_document(copy)
        if issues:
            write_document(copy, valid)
        return self._integrate(copy.get_update(before))

    async def _rebase(self, state: bytes, generation: int, keep: RoomSocket | None = None) -> None:
        """Another process compacted the stored state: hold the new one, and reconnect every
        socket but `keep` (their copies are of the retired generation; reconnecting carries them
        over)."""
        logger.warning(
            "co-editing: graph %s moved to generation %s under an open room",
            self.graph_id,
            generation,
        )
        self._hold(state)
        self.generation = self.outbox.generation = generation
        self.stored_vector = self.doc.get_state()
        self.pending, self.pending_sources = [], set()
        self.outbox.updates.clear()
        self.stale.clear()
        self.dirty = False
        for socket in list(self.sockets - {keep}):
            await socket.reconnect()

    def _apply_unwatched(self, update: bytes) -> bool:
        """The shadow could not read an edit's events (pycrdt panicked): apply it to a fresh
        shadow without them, every entry counting as touched; return whether it changed it."""
        self._reset_shadow()  # a fresh shadow: nothing recorded yet
        before = self.shadow.doc.get_state()
        self.shadow.take(update)
        self.shadow.touch_all()
        return bool(self.shadow.changes) or self.shadow.doc.get_state() != before

    def _reset_shadow(self) -> None:
        """The shadow took an update that is refused or dropped: make it the document's copy
        again."""
        self.shadow = WatchedDoc(self.doc.get_update())

    def _share(self, change: bytes, source: RoomSocket | None) -> None:
        """Send a change made here to the sockets (but `source`, which holds it) and the other
        rooms, and save it soon."""
        self._broadcast(change, source)
        self.outbox.updates.append(change)
        self.outbox.flush_soon()
        self._save_soon()

    def merge(self, state: bytes) -> None:
        """Merge (part of) the stored state in; what it adds goes to every socket."""
        change = self._integrate(state)
        if change is not None:
            self._broadcast(change, None)

    # ---- presence ------------------------------------------------------------------------

    def presences(self) -> bytes | None:
        """An awareness update with every client's presence (for a socket that joins)."""
        ids = [i for i in self.awareness.states if i != self.awareness.client_id]
        return self.awareness.encode_awareness_update(ids) if ids else None

    async def presence(self, socket: RoomSocket, update: bytes) -> None:
        """Take a socket's presence (raises PresenceError); others see it with its user."""
        entries = presence.decode(update)
        for entry in entries:
            if self.owners.get(entry.client_id, socket) is not socket:
                raise presence.PresenceError(
                    f"awareness client {entry.client_id} belongs to another connection"
                )
        stamped = presence.encode(presence.stamp(entries, socket.user))
        for entry in entries:
            self.owners[entry.client_id] = socket
            socket.presence_ids.add(entry.client_id)
        self.awareness.apply_awareness_update(stamped, socket)
        await self._send_local(self._message("collab.awareness", update=b64(stamped)), socket)
        self.outbox.presence(stamped)

    async def remove(self, socket: RoomSocket) -> None:
        """A socket left: everyone sees its presence go."""
        self.sockets.discard(socket)
        self.stale.pop(socket, None)
        gone = [i for i in socket.presence_ids if self.owners.get(i) is socket]
        for client_id in gone:
            del self.owners[client_id]
        gone = [i for i in gone if i in self.awareness.states]
        if not gone:
            return
        self.awareness.remove_awareness_states(gone, "left")
        update = self.awareness.encode_awareness_update(gone)
        await self._send_local(self._message("collab.awareness", update=b64(update)), None)
        self.outbox.presence(update)

    # ---- other processes -----------------------------------------------------------------

    async def deliver(self, message: dict[str, Any]) -> None:
        """Changes on the graph's layer group (from another room, or a REST save)."""
        if message.get("origin") == self.origin or message["type"] != "collab.changes":
            return
        if message.get("update") and message.get("generation", 1) == self.generation:
            change = self._integrate(message["update"])
            if change is not None:
                self._broadcast(change, None)
                if message.get("origin") != "server":  # a REST save is stored already
                    self._save_soon()  # every process saves what it got: none may be the last
        if message.get("awareness"):
            self.awareness.apply_awareness_update(message["awareness"], "layer")
            out = self._message("collab.awareness", update=b64(message["awareness"]))
            await self._send_local(out, None)

    # ---- sending -------------------------------------------------------------------------

    def _broadcast(self, change: bytes, source: RoomSocket | None) -> None:
        """Queue a change for the room's sockets (but `source`, which holds it): what queues in
        one event-loop tick goes out as one merged update, encoded once, one frame per socket.
        A socket may get its own edit back inside a merge; applying it again changes nothing."""
        self.pending.append(change)
        self.pending_sources.add(source)
        if self.send_task is None or self.send_task.done():
            self.send_task = asyncio.get_running_loop().create_task(self._send_pending())

    async def _send_pending(self) -> None:
        while self.pending:
            changes, self.pending = self.pending, []
            sources, self.pending_sources = self.pending_sources, set()
            change = changes[0] if len(changes) == 1 else merge_updates(*changes)
            only = next(iter(sources)) if len(sources) == 1 else None
            out = self._message("collab.update", update=b64(change))
            await self._send_local(out, only, skip_stale=True)

    def _message(self, kind: str, **data: Any) -> Encoded:
        return encode_collab({"type": kind, "graph": self.graph_id, "data": data})

    async def _send_local(
        self, out: Encoded, source: RoomSocket | None, skip_stale: bool = False
    ) -> None:
        """Send to every socket but `source` (and, for updates, but those on an older
        generation: they get the whole state in `collab.replace`)."""
        for index, socket in enumerate(list(self.sockets), start=1):
            if socket is not source and not (skip_stale and socket in self.stale):
                try:
                    await socket.send_encoded(out)
                except Exception:
                    logger.exception("co-editing: a socket failed to take a message")
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)

    # ---- saving --------------------------------------------------------------------------

    def _save_soon(self) -> None:
        self.dirty = True
        if self.save_task is None or self.save_task.done():
            self.save_task = asyncio.get_running_loop().create_task(self._save_while_dirty())

    async def _save_while_dirty(self) -> None:
        """Save SAVE_DELAY after the first change, and again while changes keep coming."""
        await asyncio.sleep(SAVE_DELAY)
        while self.dirty:
            saved = await self.save()
            if self.dirty:
                await asyncio.sleep(SAVE_DELAY if saved else 1.0)

    async def save(self) -> bool:
        """Save the document as the draft (merged into the stored state), then tell each socket
        which of its edits the draft includes. False when the database failed (still dirty)."""
        async with self.save_lock:
            if not self.dirty:
                return True
            self.dirty = False
            changes = self.doc.get_update(self.stored_vector)
            through = {socket: socket.received for socket in self.sockets}
            try:
                saved = await database_sync_to_async(save_shared_state)(
                    self.graph_id, changes, self.doc.get_state(), self.editor_id, self.generation
                )
            except Exception:
                logger.exception("co-editing: saving graph %s failed; retrying", self.graph_id)
                self.dirty = True
                return False
            self.revision = saved.revision
            if saved.generation != self.generation:  # carried over: take the stored state
                await self._rebase(saved.missing, saved.generation)
                return True
            self.stored_vector = saved.state_vector
            self.merge(saved.missing)
            for socket, count in through.items():
                if socket in self.sockets:
                    # Not dirty now: what came meanwhile changed nothing, so it is all saved.
                    await socket.send_encoded(self._saved(count if self.dirty else socket.received))
            return True

    def _saved(self, through: int) -> Encoded:
        return self._message("collab.saved", revision=self.revision, through=through)

    async def _sync_loop(self) -> None:
        while True:
            await asyncio.sleep(SYNC_SECONDS)
            try:
                await self._follow_store()
            except Exception:
                logger.exception("co-editing: reading graph %s's state failed", self.graph_id)

    async def _follow_store(self, keep: RoomSocket | None = None) -> None:
        """Take what other processes saved of the graph's state; when it is of a later
        generation (compacted elsewhere), carry this room's changes over and rebase (`keep`: a
        socket already on that generation, left connected when nothing had to be carried)."""
        missing = await database_sync_to_async(missing_shared_state)(
            self.graph_id, self.doc.get_state(), self.generation
        )
        if missing is None:
            return
        if missing.generation == self.generation:
            self.merge(missing.state)
        elif self.dirty:
            await self.save()  # carries this room's changes over, then rebases
        else:
            await self._rebase(missing.state, missing.generation, keep)


class Outbox:
    """Changes a room sends to its layer group: one message at a time, and whatever comes while
    one is on its way is merged into the next (Yjs updates merge; presence keeps each client's
    newest entry). Under load fewer, larger messages go through the layer instead of a backlog
    that a bounded channel (Redis: `capacity`) would start dropping."""

    def __init__(self, group: str, origin: str) -> None:
        self.group = group
        self.origin = origin
        self.generation = 1  # of the updates it sends (the room's)
        self.updates: list[bytes] = []
        self.presences: dict[int, presence.Entry] = {}
        self.task: asyncio.Task[None] | None = None

    def presence(self, update: bytes) -> None:
        """Queue an awareness update (already checked)."""
        for entry in presence.decode(update):
            queued = self.presences.get(entry.client_id)
            if queued is None or queued.clock <= entry.clock:
                self.presences[entry.client_id] = entry
        self.flush_soon()

    def flush_soon(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        layer = get_hub().layer
        while self.updates or self.presences:
            updates, self.updates = self.updates, []
            presences, self.presences = list(self.presences.values()), {}
            if layer is None:
                continue
            message = {
                "type": "collab.changes",
                "update": merge_updates(*updates) if len(updates) > 1 else (updates or [None])[0],
                "awareness": presence.encode(presences) if presences else None,
                "origin": self.origin,
                "generation": self.generation,
            }
            try:
                await layer.group_send(self.group, message)
            except Exception:
                logger.exception("co-editing: publishing to %s failed", self.group)

    async def close(self) -> None:
        """Send what is queued."""
        if self.task is not None:
            await self.task


class Rooms:
    """The rooms of one event loop: one per graph that has sockets here."""

    def __init__(self) -> None:
        self.rooms: dict[int, Room] = {}
        self.closing: dict[int, asyncio.Task[None]] = {}  # rooms saving (and compacting)
        self.lock = asyncio.Lock()

    async def join(self, graph_id: int, socket: RoomSocket) -> Room:
        """Put a socket in the graph's room (opening the room first if needed: after the room
        that last held the graph here has closed, so it never loads a state being compacted)."""
        while True:
            async with self.lock:
                closing = self.closing.get(graph_id)
                if closing is None:
                    room = self.rooms.get(graph_id)
                    if room is None:
                        room = Room(graph_id)
                        await room.open()
                        self.rooms[graph_id] = room
                    room.sockets.add(socket)
                    return room
            with contextlib.suppress(Exception):
                await asyncio.shield(closing)

    async def leave(self, room: Room, socket: RoomSocket) -> None:
        """Take a socket out; the last one out closes the room (which saves first)."""
        async with self.lock:
            await room.remove(socket)
            last = not room.sockets and self.rooms.get(room.graph_id) is room
            if last:
                del self.rooms[room.graph_id]
                closing = self.closing[room.graph_id] = asyncio.create_task(room.close())
        if last:
            try:
                await closing
            finally:
                if self.closing.get(room.graph_id) is closing:
                    del self.closing[room.graph_id]


_rooms: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Rooms] = weakref.WeakKeyDictionary()


def get_rooms() -> Rooms:
    """The rooms of the running event loop."""
    loop = asyncio.get_running_loop()
    rooms = _rooms.get(loop)
    if rooms is None:
        rooms = _rooms[loop] = Rooms()
    return rooms
