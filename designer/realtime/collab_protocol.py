"""The co-editing socket's protocol (/ws/graphs/<id>/edit/): one strict pydantic model per message.

The Y document travels as Yjs updates (base64 in JSON, v1 encoding): the sync handshake of
y-protocols (each side sends its state vector, the other answers with what it lacks), live
updates, and awareness updates for presence. The envelope is `{type, graph, data}` from the
server and `{type, data}` from the client.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from designer.realtime.protocol import ErrorData, Strict

MAX_UPDATE_BYTES = 2_000_000  # one Yjs update or state (decoded); a whole large graph fits
MAX_SELECTION = 5_000  # ids in one presence selection
# Standard base64 (RFC 4648, padded): JSON carries Yjs's binary updates this way.
Base64 = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9+/]*={0,2}$",
        max_length=(MAX_UPDATE_BYTES + 2) // 3 * 4,
        json_schema_extra={"format": "byte"},
    ),
]
RefusalCode = Literal["forbidden", "invalid_update", "generation_expired"]


# ---- data payloads -------------------------------------------------------------------------


class Collaborator(Strict):
    """Who is editing: the server sets it from the socket's user (clients cannot claim another)."""

    id: int = Field(description="The user's id.")
    name: str = Field(description="The username.")
    color: str = Field(pattern=r"^#[0-9a-f]{6}$", description="Their colour on everyone's screen.")


class WelcomeData(Strict):
    """Who you are on this graph and whether the server takes your edits."""

    graph: int
    you: Collaborator
    can_edit: bool = Field(description="False for viewers: every update they send is refused.")
    revision: int = Field(ge=1, description="The saved draft's revision (its ETag's number).")
    generation: int = Field(
        ge=1,
        description="The shared state's generation: a compaction rebuilds the state and bumps "
        "it. A client whose copy is empty takes it; one holding a copy keeps its own until a "
        "`collab.replace`, and sends it in its `collab.sync_step1`.",
    )


class StateVectorData(Strict):
    """A Yjs state vector: "this is what I have"."""

    state_vector: Base64


class ClientStateVectorData(Strict):
    """A Yjs state vector, and the generation of the state the client holds."""

    state_vector: Base64
    generation: int | None = Field(
        default=None,
        ge=1,
        description="The generation the client's copy is of (null: 1). A copy of an earlier "
        "generation is answered with `collab.replace` (its changes carried over) instead of "
        "`collab.sync_step2`.",
    )


class ReplaceData(Strict):
    """The shared state was compacted since the client's copy was made: the client replaces its
    Y document with `state` (its changes are in it when `merged`), takes `generation`, and
    syncs again with a `collab.sync_step1`."""

    generation: int = Field(ge=1)
    state: Base64
    merged: bool = Field(description="The client's changes were carried over into `state`.")


class UpdateData(Strict):
    """A Yjs update (v1 encoding)."""

    update: Base64


class AwarenessData(Strict):
    """A y-protocols awareness update: presence states of one or more clients."""

    update: Base64


class SavedData(Strict):
    """The shared state is saved as the graph's draft."""

    revision: int = Field(ge=1, description="The draft's revision now.")
    through: int = Field(
        ge=0,
        description="How many of this socket's edit messages (`collab.update` and "
        "`collab.sync_step2`, counted from 1 since it opened) the saved draft includes.",
    )


class RefusedData(Strict):
    """An edit message was refused: nothing of it was applied or passed on."""

    code: RefusalCode
    message: str
    issues: list[str] = Field(description="Every problem found in the update (invalid_update).")
    download: bool = Field(
        default=False,
        description="generation_expired: the client's copy is older than the server keeps; its "
        "changes cannot be carried over, so it should offer them for download before it drops "
        "its copy.",
    )


class Point(Strict):
    """A point on the canvas, in graph coordinates."""

    x: float
    y: float


class Selection(Strict):
    """What a collaborator has selected on the canvas."""

    nodes: list[str] = Field(max_length=MAX_SELECTION)
    edges: list[str] = Field(max_length=MAX_SELECTION)


class YId(Strict):
    """An item of a Y document: the client that made it and that client's clock."""

    client: int
    clock: int


class RelativePosition(Strict):
    """A place in a shared text that moves with the text (Yjs `relativePositionToJSON`)."""

    type: YId | None = None
    tname: str | None = None
    item: YId | None = None
    assoc: int = 0


class TextCursor(Strict):
    """A selection in a code editor (y-codemirror.next): the text is the one the positions name."""

    anchor: RelativePosition
    head: RelativePosition


class PresenceState(Strict):
    """One client's awareness state. Clients send it without `user`; the server adds it."""

    user: Collaborator | None = None
    selection: Selection
    pointer: Point | None = Field(description="The mouse on the canvas; null when it is elsewhere.")
    editing: str | None = Field(description="The node open in their inspector, if any.")
    cursor: TextCursor | None = Field(
        default=None, description="Their cursor in the code editor they are typing in, if any."
    )


# ---- server → client -----------------------------------------------------------------------


class CollabWelcomeMessage(Strict):
    """`collab.welcome`: sent first, then the server's `collab.sync_step1` and the presences."""

    type: Literal["collab.welcome"]
    graph: int
    data: WelcomeData


class CollabSyncStep1Message(Strict):
    """`collab.sync_step1`: the server's state vector; answer with `collab.sync_step2`."""

    type: Literal["collab.sync_step1"]
    graph: int
    data: StateVectorData


class CollabSyncStep2Message(Strict):
    """`collab.sync_step2`: what the client lacks, answering its `collab.sync_step1`. Once
    applied, the client holds everything the server held when it answered."""

    type: Literal["collab.sync_step2"]
    graph: int
    data: UpdateData


class CollabUpdateMessage(Strict):
    """`collab.update`: someone else's change (another editor, a REST save, a restore); it may
    hold the client's own edits too (applying them again changes nothing)."""

    type: Literal["collab.update"]
    graph: int
    data: UpdateData


class CollabAwarenessMessage(Strict):
    """`collab.awareness`: presence of other clients (a null state: they left)."""

    type: Literal["collab.awareness"]
    graph: int
    data: AwarenessData


class CollabSavedMessage(Strict):
    """`collab.saved`: the draft now includes this socket's edits up to `through`."""

    type: Literal["collab.saved"]
    graph: int
    data: SavedData


class CollabRefusedMessage(Strict):
    """`collab.refused`: an edit was refused; the client must drop its copy and sync afresh."""

    type: Literal["collab.refused"]
    graph: int
    data: RefusedData


class CollabReplaceMessage(Strict):
    """`collab.replace`: the client's copy is of an earlier generation (the state was compacted):
    replace the document with this one; edits sent before it were carried over into it."""

    type: Literal["collab.replace"]
    graph: int
    data: ReplaceData


class CollabErrorMessage(Strict):
    """`error`: the socket is refused or closed; a close with the code of `data.code` follows."""

    type: Literal["error"]
    graph: int | None
    data: ErrorData


COLLAB_SERVER_MESSAGES: tuple[type[Strict], ...] = (
    CollabWelcomeMessage,
    CollabSyncStep1Message,
    CollabSyncStep2Message,
    CollabUpdateMessage,
    CollabAwarenessMessage,
    CollabSavedMessage,
    CollabRefusedMessage,
    CollabReplaceMessage,
    CollabErrorMessage,
)
CollabServerMessage = Annotated[
    CollabWelcomeMessage
    | CollabSyncStep1Message
    | CollabSyncStep2Message
    | CollabUpdateMessage
    | CollabAwarenessMessage
    | CollabSavedMessage
    | CollabRefusedMessage
    | CollabReplaceMessage
    | CollabErrorMessage,
    Field(discriminator="type"),
]
collab_server_adapter: TypeAdapter[CollabServerMessage] = TypeAdapter(CollabServerMessage)


# ---- client → server -----------------------------------------------------------------------


class ClientSyncStep1(Strict):
    """`collab.sync_step1`: the client's state vector and generation (on every (re)connect, and
    after a `collab.replace`)."""

    type: Literal["collab.sync_step1"]
    data: ClientStateVectorData


class ClientSyncStep2(Strict):
    """`collab.sync_step2`: what the server lacks (edits made offline), answering its step 1."""

    type: Literal["collab.sync_step2"]
    data: UpdateData


class ClientUpdate(Strict):
    """`collab.update`: a change the client made."""

    type: Literal["collab.update"]
    data: UpdateData


class ClientAwareness(Strict):
    """`collab.awareness`: the client's own presence (its awareness client ids only)."""

    type: Literal["collab.awareness"]
    data: AwarenessData


COLLAB_CLIENT_MESSAGES: tuple[type[Strict], ...] = (
    ClientSyncStep1,
    ClientSyncStep2,
    ClientUpdate,
    ClientAwareness,
)
CollabClientMessage = Annotated[
    ClientSyncStep1 | ClientSyncStep2 | ClientUpdate | ClientAwareness,
    Field(discriminator="type"),
]
collab_client_adapter: TypeAdapter[CollabClientMessage] = TypeAdapter(CollabClientMessage)
