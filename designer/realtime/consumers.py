"""WebSocket consumers: a run's live events (/ws/runs/<id>/) and a workspace's run list."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from pydantic import ValidationError

from designer.realtime import access, key_view, open_sockets, snapshot
from designer.realtime.auth import ENDPOINT_KEY, SESSION_KEY, TOKEN_KEY
from designer.realtime.broadcast import (
    endpoint_key_group,
    member_group,
    run_group,
    session_digest,
    session_group,
    token_group,
    user_group,
    workspace_group,
)
from designer.realtime.codec import encode, encoded
from designer.realtime.frames import SCOPE_KEY as FRAME_WRITER
from designer.realtime.hub import get_hub
from designer.realtime.protocol import (
    ERROR_CLOSE_CODES,
    SUBPROTOCOL,
    ProtocolError,
    client_message_adapter,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
INTERNAL_ERROR_CLOSE = 1011
SYNC_MARK = "sync"  # a buffered marker: "the log holds events up to seq"; never sent as is


class SignedInConsumer(AsyncWebsocketConsumer):
    """What every socket shares: authentication, groups via the hub, membership, refusals.

    Group messages arrive through `deliver()` (called by the process's hub): member removal,
    token revocation and the end of its session close the socket; everything else goes to
    `on_group_message()`.
    """

    kind = "socket"
    channel_layer_alias = "realtime-hub"  # no layer channel per socket: the hub fans out

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Call the message's handler. Unlike Channels' dispatch, without a thread hop to close
        old database connections first: every database call here goes through
        database_sync_to_async, which closes them itself, and the hop cost each co-editing
        message (ten a second per editor) a thread handoff (~0.1 ms CPU, and more under load)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.joined: list[str] = []
        self.closed = False
        self.holder: str | None = None  # whose open socket this is (open_sockets)
        self.tasks: set[asyncio.Task[None]] = set()
        offered = self.scope.get("subprotocols") or []
        await self.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
        user = self.scope.get("user")
        self.user_id: int | None = user.pk if user is not None and user.is_authenticated else None
        token_id = self.scope.get(TOKEN_KEY)
        if token_id is not None:
            group = token_group(token_id)
            await self.join(group)
            if not await self.recall(group, "live", access.token_live, token_id):
                await self.refuse("unauthenticated", "Your API token was revoked.")
                return
        self.key_id: int | None = self.scope.get(ENDPOINT_KEY)
        if self.key_id is not None:
            group = endpoint_key_group(self.key_id)
            await self.join(group)
            if not await self.recall(group, "live", access.endpoint_key_live, self.key_id):
                await self.refuse("unauthenticated", "Your endpoint key was revoked.")
                return
        session_key = self.scope.get(SESSION_KEY)
        if session_key:
            self.user_id = await self.sign_in_by_session(session_key)
        if not await self.take_place():
            return
        try:
            await self.start()
        except BaseException:  # a consumer that failed gets no disconnect: its place goes now
            self.give_place()
            raise

    async def take_place(self) -> bool:
        """Count this socket as its user's (key's, address's); refuse it past the cap."""
        cap = settings.DESIGNER_MAX_OPEN_SOCKETS
        holder = open_sockets.holder(self.user_id, self.key_id, self.scope)
        if open_sockets.open_sockets.take(holder, cap):
            self.holder = holder
            return True
        await self.refuse(
            "too_many_sockets",
            f"Too many open connections: at most {cap} at once "
            "(DESIGNER_MAX_OPEN_SOCKETS). Close other tabs, then reload this page.",
        )
        return False

    def give_place(self) -> None:
        """This socket no longer counts as its user's (once)."""
        holder, self.holder = getattr(self, "holder", None), None
        if holder is not None:
            open_sockets.open_sockets.give_back(holder)

    async def sign_in_by_session(self, session_key: str) -> int | None:
        """The user a session cookie signs in (None: nobody), remembered like a token's.

        Joins the session's group before reading the session, and the user's group before
        reading the user: the session's end (sign-out, key cycled) and a password change or
        deactivation arrive there as messages, which close the socket (4440) and make the next
        socket read afresh. A remembered session also ends at its expiry (decision 0038).
        """
        hub = get_hub()
        group = session_group(session_digest(session_key))
        await self.join(group)
        sign_in = await hub.recall(
            group,
            "sign_in",
            lambda: database_sync_to_async(access.session_sign_in)(session_key),
            until=lambda found: found.expires.timestamp() if found is not None else None,
        )
        if sign_in is None:
            return None
        group = user_group(sign_in.user_id)
        await self.join(group)
        user = await self.recall(
            group, f"user {sign_in.backend}", access.session_user, sign_in.user_id, sign_in.backend
        )
        return user.user_id if user is not None and access.session_valid(sign_in, user) else None

    async def start(self) -> None:
        """Authorize, join the groups, send the opening messages, then go live."""
        raise NotImplementedError

    async def join(self, *groups: str) -> None:
        """Join groups (before reading the database, so nothing published is missed)."""
        hub = get_hub()
        for group in groups:
            await hub.subscribe(group, self)
            self.joined.append(group)

    async def recall(self, group: str, key: str, check: Callable[..., T], *args: Any) -> T:
        """A database check about a joined group, read once in this process until a message
        arrives on the group (a removal, a revocation, an event): see Hub.recall."""
        return await get_hub().recall(group, key, lambda: database_sync_to_async(check)(*args))

    async def member_of(self, workspace_id: int) -> bool:
        """Join the user's member group of a workspace, then check membership: a removal after
        the check reaches the socket as a message on that group and closes it."""
        assert self.user_id is not None
        group = member_group(workspace_id, self.user_id)
        await self.join(group)
        return await self.recall(group, "member", access.is_member, self.user_id, workspace_id)

    async def deliver(self, message: dict[str, Any]) -> None:
        """A group message from the hub."""
        if self.closed:
            return
        if message["type"] == "member.removed":
            await self.refuse("membership_revoked", "You were removed from this workspace.")
        elif message["type"] == "token.revoked":
            await self.refuse(
                "unauthenticated", message.get("reason") or "Your API token was revoked."
            )
        elif message["type"] == "session.ended":
            await self.refuse("session_ended", message.get("reason") or "You were signed out.")
        else:
            await self.on_group_message(message)

    async def on_group_message(self, message: dict[str, Any]) -> None:
        """Any other group message."""

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        """Send, unless the connection has gone: a client that left between our last check and
        this write is not an error (its disconnect is on its way); the socket sends nothing more."""
        try:
            await super().send(text_data, bytes_data, close)
        except Disconnected:
            self.closed = True

    def error_text(self, code: str, message: str) -> str:
        """This socket's `error` message, encoded and checked against its model."""
        raise NotImplementedError

    async def refuse_as(self, denied: access.Denied) -> None:
        """Refuse with an access decision's code and message."""
        await self.refuse(denied.code, denied.message)

    async def refuse(self, code: str, message: str) -> None:
        """Send an `error` message, then close with the code that goes with it."""
        if self.closed:
            return
        await self.send(text_data=self.error_text(code, message))
        self.closed = True
        await self.close(code=int(ERROR_CLOSE_CODES.get(code, INTERNAL_ERROR_CLOSE)))

    async def disconnect(self, code: int) -> None:
        self.closed = True
        self.give_place()
        hub = get_hub()
        for group in getattr(self, "joined", []):
            await hub.unsubscribe(group, self)
        for task in getattr(self, "tasks", set()):
            task.cancel()


class WatchConsumer(SignedInConsumer):
    """What the run and workspace sockets share: a buffer while catching up, a checked send.

    While the socket is catching up from the database (`self.buffer` is a list) live messages
    are buffered; `drain()` sends them afterwards, dropping what the catch-up already covered.
    """

    async def connect(self) -> None:
        self.buffer: list[dict[str, Any]] | None = []
        self.order = asyncio.Lock()
        self.frames = self.scope.get(FRAME_WRITER)  # writes a stored event's frame as is
        await super().connect()

    async def on_group_message(self, message: dict[str, Any]) -> None:
        if message["type"] == "protocol.sync":
            await self.sync(message["seq"])
        elif message["type"] != "protocol.message":
            return
        elif self.buffer is not None:
            self.buffer.append(message["message"])
        else:
            await self.forward(message["message"])

    async def forward(self, envelope: dict[str, Any]) -> None:
        """Send one live event (the socket is not catching up)."""
        raise NotImplementedError

    async def sync(self, seq: int) -> None:
        """The log holds events up to `seq` (some were never published): catch up."""

    async def send_message(self, message: dict[str, Any]) -> None:
        """Send one protocol message; a message that breaks its model is never sent."""
        if self.closed:
            return
        try:
            out = encoded(message)
        except ProtocolError:
            logger.exception("closing %s: the server produced an invalid message", self.kind)
            await self.refuse("internal", "The server produced an invalid message.")
            return
        # A stored event's frame goes straight to the connection; anything else, or when the
        # writer declines, through Channels and Daphne. Both write in call order.
        if out.frame is None or self.frames is None or not self.frames.write(out.frame, out.size):
            await self.send(text_data=out.text)

    def error_text(self, code: str, message: str) -> str:
        return encode(self.error_envelope(code, message))

    def error_envelope(self, code: str, message: str) -> dict[str, Any]:
        """An `error` message of the run protocol (`run_id` is null on a workspace socket)."""
        run_id = getattr(self, "run_id", None)
        return {
            "type": "error",
            "run_id": run_id,
            "seq": None,
            "data": {"code": code, "message": message},
        }

    async def send_error(self, message: str) -> None:
        """Tell the client its message was not understood (the socket stays open)."""
        await self.send_message(self.error_envelope("bad_request", message))


class RunConsumer(WatchConsumer):
    """Streams one run: a snapshot (or the missed events), then every event in seq order.

    `sent_seq` is the last event this socket has covered. An event further ahead than
    `sent_seq + 1` means a publish was lost or overtaken: the gap is read from the log.
    """

    kind = "run socket"

    async def start(self) -> None:
        self.run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        self.sent_seq = 0
        resume_from = self.query_resume_from()
        if resume_from == -1:
            await self.refuse("bad_request", "resume_from must be a non-negative integer.")
            return
        if self.key_id is not None:  # a key watches only the runs its calls started
            outcome = await database_sync_to_async(access.key_run)(self.key_id, self.run_id)
            if isinstance(outcome, access.Denied):
                await self.refuse_as(outcome)
                return
        elif self.user_id is None:
            await self.refuse("unauthenticated", "Sign in, or pass an API token, to watch runs.")
            return
        else:
            workspace_id = access.known_run_workspace(self.run_id) or (
                await database_sync_to_async(access.run_workspace)(self.run_id)
            )
            if workspace_id is None or not await self.member_of(workspace_id):
                await self.refuse_as(access.run_not_found(self.run_id))
                return
        await self.join(run_group(self.run_id))
        async with self.order:
            if resume_from is None:
                await self.send_snapshot()
            else:
                await self.replay(resume_from)
        await self.drain()

    async def send_message(self, message: dict[str, Any]) -> None:
        """Send one protocol message; a key's socket only what `key_view` lets a key see."""
        if self.key_id is not None:
            shown = key_view.for_key(message)
            if shown is None:
                return
            message = shown
        await super().send_message(message)

    def query_resume_from(self) -> int | None:
        """The ?resume_from=N of the URL: None when absent, -1 when malformed."""
        values = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("resume_from")
        if not values:
            return None
        try:
            value = int(values[0])
        except ValueError:
            return -1
        return value if value >= 0 else -1

    async def send_snapshot(self) -> None:
        """Send the run.snapshot; its seq becomes the socket's position."""
        message = await self.recall(
            run_group(self.run_id), "snapshot", snapshot.run_snapshot, self.run_id
        )
        if message is None:
            await self.refuse_as(access.run_not_found(self.run_id))
            return
        await self.send_message(message)
        self.sent_seq = message["seq"]

    async def replay(self, after: int) -> None:
        """Send every stored event after `after` in order; the socket continues from there."""
        events, last = await database_sync_to_async(snapshot.replay)(self.run_id, after)
        if after > last:
            await self.refuse(
                "bad_request", f"resume_from {after} is ahead of the run's last event ({last})."
            )
            return
        for message in events:
            await self.send_message(message)
        self.sent_seq = max([last, *(m["seq"] for m in events)])

    async def drain(self) -> None:
        """Send the buffered live events in order, filling any gap from the log; then go live."""
        async with self.order:
            while self.buffer:
                pending = sorted(self.buffer, key=lambda envelope: envelope["seq"])
                self.buffer = []
                for envelope in pending:
                    await self.catch_up(envelope)
            self.buffer = None

    async def catch_up(self, envelope: dict[str, Any]) -> None:
        """Send `envelope` after everything before it (read from the log when missing)."""
        seq = envelope["seq"]
        if seq <= self.sent_seq:
            return
        if seq == self.sent_seq + 1 and envelope["type"] != SYNC_MARK:
            await self.send_message(envelope)
            self.sent_seq = seq
            return
        stored = await database_sync_to_async(snapshot.events_after)(
            self.run_id, self.sent_seq, seq
        )
        for message in stored:
            if message["seq"] > self.sent_seq:
                await self.send_message(message)
                self.sent_seq = message["seq"]

    async def forward(self, envelope: dict[str, Any]) -> None:
        seq = envelope["seq"]
        if seq == self.sent_seq + 1:
            await self.send_message(envelope)
            self.sent_seq = seq
        elif seq > self.sent_seq:
            self.catch_up_later(envelope)

    async def sync(self, seq: int) -> None:
        if seq <= self.sent_seq:
            return
        mark = {"type": SYNC_MARK, "seq": seq}
        if self.buffer is not None:
            self.buffer.append(mark)
        else:
            self.catch_up_later(mark)

    def catch_up_later(self, envelope: dict[str, Any]) -> None:
        """Go into catching-up mode: buffer live events and drain them in a task."""
        self.buffer = [envelope]
        task = asyncio.get_running_loop().create_task(self.drain())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The one client message: {"resume_from": N} rewinds the stream to event N + 1."""
        if self.closed:
            return
        try:
            request = client_message_adapter.validate_json(text_data or bytes_data or b"")
        except ValidationError as exc:
            await self.send_error("Unknown message: " + "; ".join(e["msg"] for e in exc.errors()))
            return
        async with self.order:
            if self.buffer is None:
                self.buffer = []  # live events wait while the log is replayed
            await self.replay(request.resume_from)
        await self.drain()


class WorkspaceConsumer(WatchConsumer):
    """Streams a workspace's run list: a snapshot of recent runs, then run.status/run.finished."""

    kind = "workspace socket"

    async def start(self) -> None:
        self.workspace_id = int(self.scope["url_route"]["kwargs"]["workspace_id"])
        self.run_seqs: dict[int, int] = {}
        if self.user_id is None:
            await self.refuse(
                "unauthenticated", "Sign in, or pass an API token, to watch a workspace."
            )
            return
        if not await self.member_of(self.workspace_id):
            await self.refuse_as(access.workspace_not_found(self.workspace_id))
            return
        group = workspace_group(self.workspace_id)
        await self.join(group)
        message = await self.recall(
            group, "snapshot", snapshot.workspace_snapshot, self.workspace_id
        )
        await self.send_message(message)
        self.run_seqs = {run["id"]: run["seq"] for run in message["data"]["runs"]}
        while self.buffer:
            pending, self.buffer = self.buffer, []
            for envelope in pending:
                await self.forward(envelope)
        self.buffer = None

    async def forward(self, envelope: dict[str, Any]) -> None:
        """A run-level event: send it unless the snapshot already covered it."""
        run_id, seq = envelope["run_id"], envelope["seq"]
        if seq <= self.run_seqs.get(run_id, 0):
            return
        self.run_seqs[run_id] = seq
        await self.send_message(envelope)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """A workspace socket takes no client messages."""
        await self.send_error("A workspace socket takes no messages.")
