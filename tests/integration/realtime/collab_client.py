"""A co-editing client over a real WebSocket: a pycrdt document kept in sync with a graph's room.

It speaks the protocol the browser speaks (designer/realtime/collab_protocol.py): the sync
handshake on open, a `collab.update` per local change, presence as awareness updates. Every
message it receives is checked against its model, so a server message that breaks the protocol
fails the test.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

from pycrdt import Awareness, Doc, Map
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from designer.graphs.shared_doc import doc_from_state, lenient_document, roots
from designer.realtime.collab_protocol import collab_server_adapter
from tests.integration.realtime.harness import Server, open_socket


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


class CollabClient:
    """One editor (or viewer) of a graph."""

    def __init__(
        self, socket: ClientConnection, graph: int, doc: Doc | None = None, generation: int = 1
    ) -> None:
        self.socket = socket
        self.graph = graph
        self.doc: Doc = doc if doc is not None else doc_from_state(None)
        self.generation = generation  # of the state `doc` holds (taken from the welcome if empty)
        self.replaced: list[dict[str, Any]] = []  # collab.replace messages taken
        self.awareness = Awareness(self.doc)
        self.welcome: dict[str, Any] = {}
        self.sent = 0  # edit messages sent (what `collab.saved` counts)
        self.saved_through = 0
        self.revision = 0
        self.refusals: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []  # every message, in order
        self.changed = asyncio.Event()  # set on every message
        self.synced = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        server: Server,
        graph: int,
        user: dict[str, Any],
        *,
        sync: bool = True,
        doc: Doc | None = None,
        generation: int = 1,
    ) -> CollabClient:
        """Connect as `user` and finish the sync handshake (unless sync=False); pass the `doc`
        (and its `generation`) of an earlier connection to reconnect with what it holds (edits
        made offline too)."""
        socket = await open_socket(server, f"/ws/graphs/{graph}/edit/", user)
        client = cls(socket, graph, doc, generation)
        client.reader = asyncio.get_running_loop().create_task(client._read())
        if sync:
            await client.wait_for(lambda: client.synced.is_set())
        return client

    async def close(self) -> None:
        await self.socket.close()
        if self.reader is not None:
            await asyncio.wait_for(self.reader, 10)

    async def _read(self) -> None:
        try:
            async for text in self.socket:
                message = json.loads(text)
                collab_server_adapter.validate_python(message)  # a mismatch fails the test
                self.received.append(message)
                await self._handle(message)
                self.changed.set()
        except ConnectionClosed:
            pass
        self.changed.set()

    async def _handle(self, message: dict[str, Any]) -> None:
        kind, data = message["type"], message["data"]
        if kind == "collab.welcome":
            self.welcome = data
            self.revision = data["revision"]
            if self.doc.get_state() == b"\x00":  # an empty copy is of any generation
                self.generation = data["generation"]
            await self.sync_step1()
        elif kind == "collab.sync_step1":
            # What the server lacks (edits made while disconnected) answers its step 1.
            missing = self.doc.get_update(unb64(data["state_vector"]))
            self.sent += 1
            await self.send("collab.sync_step2", update=b64(missing))
        elif kind == "collab.sync_step2":
            self.doc.apply_update(unb64(data["update"]))
            self.synced.set()
        elif kind == "collab.update":
            self.doc.apply_update(unb64(data["update"]))
        elif kind == "collab.awareness":
            self.awareness.apply_awareness_update(unb64(data["update"]), "server")
        elif kind == "collab.saved":
            self.saved_through = data["through"]
            self.revision = data["revision"]
        elif kind == "collab.replace":
            # The state was compacted: drop this copy for the current one (as the browser does).
            self.replaced.append(data)
            self.doc = doc_from_state(unb64(data["state"]))
            self.generation = data["generation"]
            await self.sync_step1()
        elif kind == "collab.refused":
            self.refusals.append(data)
        elif kind == "error":
            self.errors.append(data)

    async def sync_step1(self) -> None:
        """Send this copy's state vector and generation."""
        state_vector = b64(self.doc.get_state())
        await self.send("collab.sync_step1", state_vector=state_vector, generation=self.generation)

    async def send(self, kind: str, **data: Any) -> None:
        await self.socket.send(json.dumps({"type": kind, "data": data}))

    async def change(self, edit: Callable[[dict[str, Map]], None]) -> bytes:
        """Make a change to the local copy in one transaction and send it; returns the update."""
        before = self.doc.get_state()
        with self.doc.transaction():
            edit(roots(self.doc))
        update = self.doc.get_update(before)
        self.sent += 1
        await self.send("collab.update", update=b64(update))
        return update

    async def set_presence(self, state: dict[str, Any]) -> None:
        """Set this client's presence and send it."""
        self.awareness.set_local_state(state)
        update = self.awareness.encode_awareness_update([self.awareness.client_id])
        await self.send("collab.awareness", update=b64(update))

    def others(self) -> dict[int, dict[str, Any]]:
        """Presence states of the other clients."""
        return {k: v for k, v in self.awareness.states.items() if k != self.awareness.client_id}

    def document(self) -> dict[str, Any]:
        """The graph document this client holds."""
        return lenient_document(self.doc)[0]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 15) -> None:
        """Wait until `condition()` holds (checked after every message)."""

        async def wait() -> None:
            while not condition():
                self.changed.clear()
                if self.reader is not None and self.reader.done():
                    raise AssertionError("the socket closed while waiting")
                await self.changed.wait()

        await asyncio.wait_for(wait(), timeout)

    async def saved(self, timeout: float = 15) -> None:
        """Wait until the draft includes every edit this client sent."""
        await self.wait_for(lambda: self.saved_through >= self.sent, timeout)
