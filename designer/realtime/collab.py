"""The co-editing socket (/ws/graphs/<id>/edit/): one browser's seat in a graph's room."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from channels.db import database_sync_to_async
from pydantic import ValidationError

from designer.realtime import access, presence
from designer.realtime.codec import Encoded, encode_collab
from designer.realtime.collab_protocol import collab_client_adapter
from designer.realtime.consumers import SignedInConsumer
from designer.realtime.frames import SCOPE_KEY as FRAME_WRITER
from designer.realtime.protocol import CloseCode, ProtocolError
from designer.realtime.rooms import Refused, Room, b64, get_rooms

logger = logging.getLogger(__name__)


class CollabConsumer(SignedInConsumer):
    """Joins the graph's room and speaks the co-editing protocol (collab_protocol.py).

    Any member may join and sees every edit and presence; the room refuses the edits of a
    viewer. Member removal closes the socket (4410); a role change takes effect at once.
    """

    kind = "co-editing socket"

    async def start(self) -> None:
        self.graph_id = int(self.scope["url_route"]["kwargs"]["graph_id"])
        self.frames = self.scope.get(FRAME_WRITER)  # writes a message's frame as is
        self.room: Room | None = None
        self.received = 0
        self.presence_ids: set[int] = set()
        seat = await database_sync_to_async(access.graph_seat)(self.user_id, self.graph_id)
        if isinstance(seat, access.Denied):
            await self.refuse_as(seat)
            return
        assert self.user_id is not None
        self.workspace_id = seat.workspace_id
        self.can_edit = seat.can_edit
        self.user = presence.collaborator(self.user_id, seat.username)
        if not await self.member_of(self.workspace_id):
            await self.refuse_as(access.graph_not_found(self.graph_id))
            return
        self.room = await get_rooms().join(self.graph_id, self)
        await self.welcome()
        await self.send_collab("collab.sync_step1", state_vector=b64(self.room.state_vector()))
        presences = self.room.presences()
        if presences is not None:
            await self.send_collab("collab.awareness", update=b64(presences))

    async def welcome(self) -> None:
        """Tell the client who it is here and whether its edits are taken."""
        assert self.room is not None
        you = {"graph": self.graph_id, "you": self.user, "can_edit": self.can_edit}
        await self.send_collab(
            "collab.welcome", **you, revision=self.room.revision, generation=self.room.generation
        )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed or self.room is None:
            return
        try:
            message = collab_client_adapter.validate_json(text_data or bytes_data or b"")
        except ValidationError as exc:
            await self.send_error("Unknown message: " + "; ".join(e["msg"] for e in exc.errors()))
            return
        data = message.data.model_dump()
        try:
            payload = base64.b64decode(next(iter(data.values())), validate=True)
        except binascii.Error:
            await self.send_error(f"{message.type}: the payload is not base64.")
            return
        try:
            await self.handle(message.type, payload, data.get("generation"))
        except Exception:
            logger.exception("closing %s: handling %s failed", self.kind, message.type)
            await self.refuse("internal", "The server failed to handle that message.")

    async def handle(self, kind: str, payload: bytes, generation: int | None = None) -> None:
        """Act on one client message (`generation`: a sync step 1's)."""
        assert self.room is not None
        if kind == "collab.sync_step1":
            try:
                missing = await self.room.sync(self, payload, generation or 1)
            except Refused as refused:
                await self.send_refused(refused)
                return
            except Exception:  # pycrdt: not a state vector
                await self.send_error("collab.sync_step1: that is not a Yjs state vector.")
                return
            if missing is not None:  # None: a copy of an earlier generation (collab.replace)
                await self.send_collab("collab.sync_step2", update=b64(missing))
        elif kind == "collab.awareness":
            try:
                await self.room.presence(self, payload)
            except presence.PresenceError as exc:
                await self.send_error(str(exc))
        else:
            try:
                await self.room.edit(self, payload)
            except Refused as refused:
                await self.send_refused(refused)

    async def send_refused(self, refused: Refused) -> None:
        """Tell the client an edit (or its copy, when too old) was refused."""
        await self.send_collab(
            "collab.refused",
            code=refused.code,
            message=refused.message,
            issues=refused.issues,
            download=refused.code == "generation_expired",
        )

    async def reconnect(self) -> None:
        """Close with RECONNECT: the client connects again and syncs afresh (a browser's
        socket takes 1000 and 3000-4999 only; Autobahn refuses 1012, "service restart")."""
        if not self.closed:
            self.closed = True
            await self.close(code=int(CloseCode.RECONNECT))

    async def on_group_message(self, message: dict[str, Any]) -> None:
        if message["type"] == "member.role_changed" and self.user_id is not None:
            can_edit = await database_sync_to_async(access.can_edit)(
                self.user_id, self.workspace_id
            )
            if can_edit is not None and can_edit != self.can_edit:
                self.can_edit = can_edit
                await self.welcome()

    async def send_encoded(self, out: Encoded) -> None:
        """Send a checked message: its frame straight to the connection when the frame writer
        takes it (decision 0009), else through Channels; both write in call order (RoomSocket)."""
        if self.closed:
            return
        if out.frame is None or self.frames is None or not self.frames.write(out.frame, out.size):
            await self.send(text_data=out.text)

    async def send_collab(self, kind: str, **data: Any) -> None:
        """Send one co-editing message; one that breaks its model is never sent."""
        try:
            out = encode_collab({"type": kind, "graph": self.graph_id, "data": data})
        except ProtocolError:
            logger.exception("closing %s: the server produced an invalid message", self.kind)
            await self.refuse("internal", "The server produced an invalid message.")
            return
        await self.send_encoded(out)

    async def send_error(self, message: str) -> None:
        """Tell the client its message was not understood (the socket stays open)."""
        await self.send(text_data=self.error_text("bad_request", message))

    def error_text(self, code: str, message: str) -> str:
        graph = getattr(self, "graph_id", None)
        error = {"type": "error", "graph": graph, "data": {"code": code, "message": message}}
        return encode_collab(error).text

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        room = getattr(self, "room", None)
        if room is not None:
            self.room = None
            await get_rooms().leave(room, self)
