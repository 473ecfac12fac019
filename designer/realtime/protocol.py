"""The WebSocket protocol: one strict pydantic model per message type, in one envelope."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

PROTOCOL_VERSION = 1
SUBPROTOCOL = "designer.v1"
# A browser passes its API token as a second offered subprotocol: "token.<raw token>".
TOKEN_SUBPROTOCOL_PREFIX = "token."

# Caps on one step.log message: producers batch log lines (one flush per LOG_BATCH_SECONDS) and
# split them to fit (designer.runs.logs.batches); the model enforces the caps on every send.
LOG_BATCH_SECONDS = 0.1
LOG_MAX_LINES = 200
LOG_MAX_LINE_CHARS = 4_000
LOG_MAX_CHARS = 64_000

RunState = Literal["queued", "running", "succeeded", "failed", "canceled"]
FinalRunState = Literal["succeeded", "failed", "canceled"]
StepEventState = Literal[
    "queued", "running", "succeeded", "failed", "reused", "canceled", "upstream_failed", "retrying"
]
StepState = Literal[
    "pending",
    "queued",
    "running",
    "succeeded",
    "failed",
    "reused",
    "canceled",
    "upstream_failed",
    "retrying",
]
LogStream = Literal["stdout", "stderr", "log"]
ErrorCode = Literal[
    "unauthenticated",
    "not_found",
    "bad_request",
    "membership_revoked",
    "session_ended",
    "too_many_sockets",
    "internal",
]


class CloseCode(IntEnum):
    """WebSocket close codes the server uses; each close but RECONNECT is preceded by an `error`
    message."""

    BAD_REQUEST = 4400
    UNAUTHENTICATED = 4401
    NOT_FOUND = 4404
    MEMBERSHIP_REVOKED = 4410
    # The sign-in session the socket opened with ended (sign-out, password change, account
    # deactivated); the browser may have a new one (its key cycled): ask, then reconnect or sign in.
    SESSION_ENDED = 4440
    # The user (or endpoint key, or signed-out address) holds DESIGNER_MAX_OPEN_SOCKETS sockets.
    TOO_MANY_SOCKETS = 4429
    # Connect again (no error): the co-editing room moved on to a compacted state (decision 0036).
    RECONNECT = 4503


ERROR_CLOSE_CODES: dict[str, CloseCode] = {
    "bad_request": CloseCode.BAD_REQUEST,
    "unauthenticated": CloseCode.UNAUTHENTICATED,
    "not_found": CloseCode.NOT_FOUND,
    "membership_revoked": CloseCode.MEMBERSHIP_REVOKED,
    "session_ended": CloseCode.SESSION_ENDED,
    "too_many_sockets": CloseCode.TOO_MANY_SOCKETS,
}


class Strict(BaseModel):
    """Base of every protocol model: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


# ---- data payloads -------------------------------------------------------------------------


class Progress(Strict):
    """How far a step is: `value` out of `max`."""

    value: float = Field(ge=0, description="Work done so far.")
    max: float = Field(gt=0, description="Total work; `value / max` is the fraction done.")

    @model_validator(mode="after")
    def _value_within_max(self) -> Progress:
        if self.value > self.max:
            raise ValueError("value must not exceed max")
        return self


class OutputInfo(Strict):
    """A summary of one output port's artifact."""

    digest: str = Field(description="Content digest of the artifact (SHA-256 hex).")
    kind: str = Field(description="What the artifact holds: DataFrame, Model, Transform, Metrics.")
    size: int = Field(ge=0, description="Size in bytes.")
    summary: dict[str, Any] = Field(description="Kind-specific summary (rows, columns, metrics…).")


class RunInfo(Strict):
    """A run's own state."""

    id: int
    workspace: int
    graph: int = Field(description="The graph's id.")
    version: int = Field(description="The graph version number the run executes.")
    status: RunState
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    parameters: dict[str, Any] = Field(description="Pipeline parameter values for this run.")


class AttemptInfo(Strict):
    """One attempt of a step: its outcome and how many log lines it has."""

    attempt: int = Field(ge=0, description="1 for the first try (0: lines told before any).")
    status: str = Field(description="queued, running, succeeded, failed or canceled.")
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    lines: int = Field(ge=0, description="Log lines of this attempt so far.")


class StepInfo(Strict):
    """A step's state as the snapshot reports it."""

    key: str = Field(description="The plan's step key (the node id).")
    module: str = Field(description='The module ref, "name@version".')
    status: StepState
    attempts: int = Field(ge=0)
    reason: str = Field(description="Why the step ran or was reused.")
    progress: Progress | None
    outputs: dict[str, OutputInfo] = Field(description="Output port name → artifact summary.")
    error: str
    started_at: datetime | None
    finished_at: datetime | None
    history: list[AttemptInfo] = Field(default_factory=list, description="Every attempt.")


class RunSnapshotData(Strict):
    """The whole run state as of the envelope's `seq`."""

    run: RunInfo
    steps: list[StepInfo]


class RunSummary(Strict):
    """One run in a workspace's run list."""

    id: int
    graph: int
    version: int
    status: RunState
    seq: int = Field(ge=0, description="The run's last event number.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class WorkspaceSnapshotData(Strict):
    """A workspace's most recent runs (newest first) when the socket opens."""

    workspace: int
    runs: list[RunSummary]


class RunStatusData(Strict):
    """The run moved to a new status."""

    status: RunState


class StepStatusData(Strict):
    """A step moved to a new status."""

    step: str = Field(description="The step key.")
    status: StepEventState
    attempt: int = Field(ge=0, description="Attempt number (1 for the first try; 0 if never run).")
    reason: str = Field(default="", description="Why it runs, or why it was reused.")
    error: str = Field(default="", description="The failure message (failed, retrying).")


class StepProgressData(Progress):
    """A step reported progress."""

    step: str = Field(description="The step key.")


class StepLogData(Strict):
    """A batch of log lines from one step and stream (batched and capped by the producer)."""

    step: str = Field(description="The step key.")
    stream: LogStream
    lines: list[str] = Field(min_length=1, max_length=LOG_MAX_LINES)
    attempt: int = Field(default=0, ge=0, description="The attempt the lines belong to.")
    offset: int | None = Field(
        default=None, ge=0, description="The first line's number in that attempt's whole log."
    )

    @field_validator("lines")
    @classmethod
    def _within_caps(cls, lines: list[str]) -> list[str]:
        if any(len(line) > LOG_MAX_LINE_CHARS for line in lines):
            raise ValueError(f"a log line is longer than {LOG_MAX_LINE_CHARS} characters")
        if sum(len(line) for line in lines) > LOG_MAX_CHARS:
            raise ValueError(f"a log batch holds more than {LOG_MAX_CHARS} characters")
        return lines


class StepOutputData(OutputInfo):
    """A step's output is saved and its summary is ready."""

    step: str = Field(description="The step key.")
    port: str = Field(description="The output port name.")


class FinishCounts(Strict):
    """How many steps ended each way."""

    ran: int = Field(ge=0)
    reused: int = Field(ge=0)
    failed: int = Field(ge=0)
    canceled: int = Field(ge=0)
    upstream_failed: int = Field(ge=0)


class RunFinishedData(Strict):
    """The run ended."""

    status: FinalRunState
    counts: FinishCounts
    duration: float = Field(ge=0, description="Seconds from start to finish.")


class ErrorData(Strict):
    """Something went wrong; when the server closes the socket, this comes just before."""

    code: ErrorCode
    message: str


# ---- envelopes -----------------------------------------------------------------------------


class RunSnapshotMessage(Strict):
    """`run.snapshot`: sent first on a run socket; `seq` is the last event it includes."""

    type: Literal["run.snapshot"]
    run_id: int
    seq: int = Field(ge=0)
    data: RunSnapshotData


class WorkspaceSnapshotMessage(Strict):
    """`workspace.snapshot`: sent first on a workspace socket (not a run event: no seq)."""

    type: Literal["workspace.snapshot"]
    run_id: None
    seq: None
    data: WorkspaceSnapshotData


class RunStatusMessage(Strict):
    """`run.status`: a stored run event (also sent to the workspace socket)."""

    type: Literal["run.status"]
    run_id: int
    seq: int = Field(ge=1)
    data: RunStatusData


class StepStatusMessage(Strict):
    """`step.status`: a stored run event."""

    type: Literal["step.status"]
    run_id: int
    seq: int = Field(ge=1)
    data: StepStatusData


class StepProgressMessage(Strict):
    """`step.progress`: a stored run event."""

    type: Literal["step.progress"]
    run_id: int
    seq: int = Field(ge=1)
    data: StepProgressData


class StepLogMessage(Strict):
    """`step.log`: a stored run event."""

    type: Literal["step.log"]
    run_id: int
    seq: int = Field(ge=1)
    data: StepLogData


class StepOutputMessage(Strict):
    """`step.output`: a stored run event."""

    type: Literal["step.output"]
    run_id: int
    seq: int = Field(ge=1)
    data: StepOutputData


class RunFinishedMessage(Strict):
    """`run.finished`: a stored run event, the run's last (also sent to the workspace socket)."""

    type: Literal["run.finished"]
    run_id: int
    seq: int = Field(ge=1)
    data: RunFinishedData


class ErrorMessage(Strict):
    """`error`: not stored; `run_id` is the socket's run (null on a workspace socket)."""

    type: Literal["error"]
    run_id: int | None
    seq: None
    data: ErrorData


SERVER_MESSAGES: tuple[type[Strict], ...] = (
    RunSnapshotMessage,
    WorkspaceSnapshotMessage,
    RunStatusMessage,
    StepStatusMessage,
    StepProgressMessage,
    StepLogMessage,
    StepOutputMessage,
    RunFinishedMessage,
    ErrorMessage,
)

ServerMessage = Annotated[
    RunSnapshotMessage
    | WorkspaceSnapshotMessage
    | RunStatusMessage
    | StepStatusMessage
    | StepProgressMessage
    | StepLogMessage
    | StepOutputMessage
    | RunFinishedMessage
    | ErrorMessage,
    Field(discriminator="type"),
]
server_message_adapter: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)

# Stored run event types (RunEvent.type) and the model of their data.
EVENT_DATA: dict[str, type[Strict]] = {
    "run.status": RunStatusData,
    "step.status": StepStatusData,
    "step.progress": StepProgressData,
    "step.log": StepLogData,
    "step.output": StepOutputData,
    "run.finished": RunFinishedData,
}
# Event types that also go to the workspace socket (the run list).
RUN_LEVEL_EVENTS = frozenset({"run.status", "run.finished"})


class ResumeRequest(Strict):
    """Client → server: "I have applied every event up to `resume_from`; resend from there"."""

    resume_from: int = Field(ge=0)


client_message_adapter: TypeAdapter[ResumeRequest] = TypeAdapter(ResumeRequest)


class ProtocolError(ValueError):
    """A message or event does not match its protocol model."""


def validate_event_data(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check one stored event's data against its model; return it in JSON form."""
    return event_model(event_type, data).model_dump(mode="json")


def event_model(event_type: str, data: dict[str, Any]) -> Strict:
    """Check one stored event's data against its model; return the model (for `to_json`, which
    encodes it as the JSON form of `validate_event_data` without building that dict first)."""
    model = EVENT_DATA.get(event_type)
    if model is None:
        raise ProtocolError(f"unknown run event type {event_type!r}; one of {sorted(EVENT_DATA)}")
    try:
        return model.model_validate(data)
    except ValueError as exc:
        raise ProtocolError(f"{event_type} data does not match its model: {exc}") from exc
