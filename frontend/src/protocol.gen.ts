// Generated from designer/realtime/protocol.py by `make types`. Do not edit by hand.
/* eslint-disable */

export const PROTOCOL_VERSION = 1;
export const SUBPROTOCOL = "designer.v1";
export const TOKEN_SUBPROTOCOL_PREFIX = "token.";
export const LOG_BATCH_SECONDS = 0.1;
export const LOG_MAX_LINES = 200;
export const LOG_MAX_LINE_CHARS = 4000;
export const LOG_MAX_CHARS = 64000;

/** WebSocket close codes the server uses; each close but RECONNECT is preceded by an `error` message. */
export const CloseCode = { BAD_REQUEST: 4400, UNAUTHENTICATED: 4401, NOT_FOUND: 4404, MEMBERSHIP_REVOKED: 4410, SESSION_ENDED: 4440, TOO_MANY_SOCKETS: 4429, RECONNECT: 4503 } as const;

/** One attempt of a step: its outcome and how many log lines it has. */
export interface AttemptInfo {
  /** 1 for the first try (0: lines told before any). */
  attempt: number;
  /** queued, running, succeeded, failed or canceled. */
  status: string;
  started_at: string | null;
  finished_at: string | null;
  error: string;
  /** Log lines of this attempt so far. */
  lines: number;
}

/** A y-protocols awareness update: presence states of one or more clients. */
export interface AwarenessData {
  update: string;
}

/** `collab.awareness`: the client's own presence (its awareness client ids only). */
export interface ClientAwareness {
  type: "collab.awareness";
  data: AwarenessData;
}

/** A Yjs state vector, and the generation of the state the client holds. */
export interface ClientStateVectorData {
  state_vector: string;
  /** The generation the client's copy is of (null: 1). A copy of an earlier generation is answered with `collab.replace` (its changes carried over) instead of `collab.sync_step2`. */
  generation: number | null;
}

/** `collab.sync_step1`: the client's state vector and generation (on every (re)connect, and after a `collab.replace`). */
export interface ClientSyncStep1 {
  type: "collab.sync_step1";
  data: ClientStateVectorData;
}

/** `collab.sync_step2`: what the server lacks (edits made offline), answering its step 1. */
export interface ClientSyncStep2 {
  type: "collab.sync_step2";
  data: UpdateData;
}

/** `collab.update`: a change the client made. */
export interface ClientUpdate {
  type: "collab.update";
  data: UpdateData;
}

/** `collab.awareness`: presence of other clients (a null state: they left). */
export interface CollabAwarenessMessage {
  type: "collab.awareness";
  graph: number;
  data: AwarenessData;
}

/** `error`: the socket is refused or closed; a close with the code of `data.code` follows. */
export interface CollabErrorMessage {
  type: "error";
  graph: number | null;
  data: ErrorData;
}

/** `collab.refused`: an edit was refused; the client must drop its copy and sync afresh. */
export interface CollabRefusedMessage {
  type: "collab.refused";
  graph: number;
  data: RefusedData;
}

/** `collab.replace`: the client's copy is of an earlier generation (the state was compacted): replace the document with this one; edits sent before it were carried over into it. */
export interface CollabReplaceMessage {
  type: "collab.replace";
  graph: number;
  data: ReplaceData;
}

/** `collab.saved`: the draft now includes this socket's edits up to `through`. */
export interface CollabSavedMessage {
  type: "collab.saved";
  graph: number;
  data: SavedData;
}

/** `collab.sync_step1`: the server's state vector; answer with `collab.sync_step2`. */
export interface CollabSyncStep1Message {
  type: "collab.sync_step1";
  graph: number;
  data: StateVectorData;
}

/** `collab.sync_step2`: what the client lacks, answering its `collab.sync_step1`. Once applied, the client holds everything the server held when it answered. */
export interface CollabSyncStep2Message {
  type: "collab.sync_step2";
  graph: number;
  data: UpdateData;
}

/** `collab.update`: someone else's change (another editor, a REST save, a restore); it may hold the client's own edits too (applying them again changes nothing). */
export interface CollabUpdateMessage {
  type: "collab.update";
  graph: number;
  data: UpdateData;
}

/** `collab.welcome`: sent first, then the server's `collab.sync_step1` and the presences. */
export interface CollabWelcomeMessage {
  type: "collab.welcome";
  graph: number;
  data: WelcomeData;
}

/** Who is editing: the server sets it from the socket's user (clients cannot claim another). */
export interface Collaborator {
  /** The user's id. */
  id: number;
  /** The username. */
  name: string;
  /** Their colour on everyone's screen. */
  color: string;
}

/** Something went wrong; when the server closes the socket, this comes just before. */
export interface ErrorData {
  code: "unauthenticated" | "not_found" | "bad_request" | "membership_revoked" | "session_ended" | "too_many_sockets" | "internal";
  message: string;
}

/** `error`: not stored; `run_id` is the socket's run (null on a workspace socket). */
export interface ErrorMessage {
  type: "error";
  run_id: number | null;
  seq: null;
  data: ErrorData;
}

/** How many steps ended each way. */
export interface FinishCounts {
  ran: number;
  reused: number;
  failed: number;
  canceled: number;
  upstream_failed: number;
}

/** A summary of one output port's artifact. */
export interface OutputInfo {
  /** Content digest of the artifact (SHA-256 hex). */
  digest: string;
  /** What the artifact holds: DataFrame, Model, Transform, Metrics. */
  kind: string;
  /** Size in bytes. */
  size: number;
  /** Kind-specific summary (rows, columns, metrics…). */
  summary: { [key: string]: unknown };
}

/** A point on the canvas, in graph coordinates. */
export interface Point {
  x: number;
  y: number;
}

/** One client's awareness state. Clients send it without `user`; the server adds it. */
export interface PresenceState {
  user: Collaborator | null;
  selection: Selection;
  /** The mouse on the canvas; null when it is elsewhere. */
  pointer: Point | null;
  /** The node open in their inspector, if any. */
  editing: string | null;
  /** Their cursor in the code editor they are typing in, if any. */
  cursor: TextCursor | null;
}

/** How far a step is: `value` out of `max`. */
export interface Progress {
  /** Work done so far. */
  value: number;
  /** Total work; `value / max` is the fraction done. */
  max: number;
}

/** An edit message was refused: nothing of it was applied or passed on. */
export interface RefusedData {
  code: "forbidden" | "invalid_update" | "generation_expired";
  message: string;
  /** Every problem found in the update (invalid_update). */
  issues: string[];
  /** generation_expired: the client's copy is older than the server keeps; its changes cannot be carried over, so it should offer them for download before it drops its copy. */
  download: boolean;
}

/** A place in a shared text that moves with the text (Yjs `relativePositionToJSON`). */
export interface RelativePosition {
  type: YId | null;
  tname: string | null;
  item: YId | null;
  assoc: number;
}

/** The shared state was compacted since the client's copy was made: the client replaces its Y document with `state` (its changes are in it when `merged`), takes `generation`, and syncs again with a `collab.sync_step1`. */
export interface ReplaceData {
  generation: number;
  state: string;
  /** The client's changes were carried over into `state`. */
  merged: boolean;
}

/** Client → server: "I have applied every event up to `resume_from`; resend from there". */
export interface ResumeRequest {
  resume_from: number;
}

/** The run ended. */
export interface RunFinishedData {
  status: "succeeded" | "failed" | "canceled";
  counts: FinishCounts;
  /** Seconds from start to finish. */
  duration: number;
}

/** `run.finished`: a stored run event, the run's last (also sent to the workspace socket). */
export interface RunFinishedMessage {
  type: "run.finished";
  run_id: number;
  seq: number;
  data: RunFinishedData;
}

/** A run's own state. */
export interface RunInfo {
  id: number;
  workspace: number;
  /** The graph's id. */
  graph: number;
  /** The graph version number the run executes. */
  version: number;
  status: "queued" | "running" | "succeeded" | "failed" | "canceled";
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Pipeline parameter values for this run. */
  parameters: { [key: string]: unknown };
}

/** The whole run state as of the envelope's `seq`. */
export interface RunSnapshotData {
  run: RunInfo;
  steps: StepInfo[];
}

/** `run.snapshot`: sent first on a run socket; `seq` is the last event it includes. */
export interface RunSnapshotMessage {
  type: "run.snapshot";
  run_id: number;
  seq: number;
  data: RunSnapshotData;
}

/** The run moved to a new status. */
export interface RunStatusData {
  status: "queued" | "running" | "succeeded" | "failed" | "canceled";
}

/** `run.status`: a stored run event (also sent to the workspace socket). */
export interface RunStatusMessage {
  type: "run.status";
  run_id: number;
  seq: number;
  data: RunStatusData;
}

/** One run in a workspace's run list. */
export interface RunSummary {
  id: number;
  graph: number;
  version: number;
  status: "queued" | "running" | "succeeded" | "failed" | "canceled";
  /** The run's last event number. */
  seq: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** The shared state is saved as the graph's draft. */
export interface SavedData {
  /** The draft's revision now. */
  revision: number;
  /** How many of this socket's edit messages (`collab.update` and `collab.sync_step2`, counted from 1 since it opened) the saved draft includes. */
  through: number;
}

/** What a collaborator has selected on the canvas. */
export interface Selection {
  nodes: string[];
  edges: string[];
}

/** A Yjs state vector: "this is what I have". */
export interface StateVectorData {
  state_vector: string;
}

/** A step's state as the snapshot reports it. */
export interface StepInfo {
  /** The plan's step key (the node id). */
  key: string;
  /** The module ref, "name@version". */
  module: string;
  status: "pending" | "queued" | "running" | "succeeded" | "failed" | "reused" | "canceled" | "upstream_failed" | "retrying";
  attempts: number;
  /** Why the step ran or was reused. */
  reason: string;
  progress: Progress | null;
  /** Output port name → artifact summary. */
  outputs: { [key: string]: OutputInfo };
  error: string;
  started_at: string | null;
  finished_at: string | null;
  /** Every attempt. */
  history: AttemptInfo[];
}

/** A batch of log lines from one step and stream (batched and capped by the producer). */
export interface StepLogData {
  /** The step key. */
  step: string;
  stream: "stdout" | "stderr" | "log";
  lines: string[];
  /** The attempt the lines belong to. */
  attempt: number;
  /** The first line's number in that attempt's whole log. */
  offset: number | null;
}

/** `step.log`: a stored run event. */
export interface StepLogMessage {
  type: "step.log";
  run_id: number;
  seq: number;
  data: StepLogData;
}

/** A step's output is saved and its summary is ready. */
export interface StepOutputData {
  /** Content digest of the artifact (SHA-256 hex). */
  digest: string;
  /** What the artifact holds: DataFrame, Model, Transform, Metrics. */
  kind: string;
  /** Size in bytes. */
  size: number;
  /** Kind-specific summary (rows, columns, metrics…). */
  summary: { [key: string]: unknown };
  /** The step key. */
  step: string;
  /** The output port name. */
  port: string;
}

/** `step.output`: a stored run event. */
export interface StepOutputMessage {
  type: "step.output";
  run_id: number;
  seq: number;
  data: StepOutputData;
}

/** A step reported progress. */
export interface StepProgressData {
  /** Work done so far. */
  value: number;
  /** Total work; `value / max` is the fraction done. */
  max: number;
  /** The step key. */
  step: string;
}

/** `step.progress`: a stored run event. */
export interface StepProgressMessage {
  type: "step.progress";
  run_id: number;
  seq: number;
  data: StepProgressData;
}

/** A step moved to a new status. */
export interface StepStatusData {
  /** The step key. */
  step: string;
  status: "queued" | "running" | "succeeded" | "failed" | "reused" | "canceled" | "upstream_failed" | "retrying";
  /** Attempt number (1 for the first try; 0 if never run). */
  attempt: number;
  /** Why it runs, or why it was reused. */
  reason: string;
  /** The failure message (failed, retrying). */
  error: string;
}

/** `step.status`: a stored run event. */
export interface StepStatusMessage {
  type: "step.status";
  run_id: number;
  seq: number;
  data: StepStatusData;
}

/** A selection in a code editor (y-codemirror.next): the text is the one the positions name. */
export interface TextCursor {
  anchor: RelativePosition;
  head: RelativePosition;
}

/** A Yjs update (v1 encoding). */
export interface UpdateData {
  update: string;
}

/** Who you are on this graph and whether the server takes your edits. */
export interface WelcomeData {
  graph: number;
  you: Collaborator;
  /** False for viewers: every update they send is refused. */
  can_edit: boolean;
  /** The saved draft's revision (its ETag's number). */
  revision: number;
  /** The shared state's generation: a compaction rebuilds the state and bumps it. A client whose copy is empty takes it; one holding a copy keeps its own until a `collab.replace`, and sends it in its `collab.sync_step1`. */
  generation: number;
}

/** A workspace's most recent runs (newest first) when the socket opens. */
export interface WorkspaceSnapshotData {
  workspace: number;
  runs: RunSummary[];
}

/** `workspace.snapshot`: sent first on a workspace socket (not a run event: no seq). */
export interface WorkspaceSnapshotMessage {
  type: "workspace.snapshot";
  run_id: null;
  seq: null;
  data: WorkspaceSnapshotData;
}

/** An item of a Y document: the client that made it and that client's clock. */
export interface YId {
  client: number;
  clock: number;
}

/** Every message the server sends. */
export type ServerMessage = RunSnapshotMessage | WorkspaceSnapshotMessage | RunStatusMessage | StepStatusMessage | StepProgressMessage | StepLogMessage | StepOutputMessage | RunFinishedMessage | ErrorMessage;

/** The stored run events (they carry a seq). */
export type RunEventMessage = RunStatusMessage | StepStatusMessage | StepProgressMessage | StepLogMessage | StepOutputMessage | RunFinishedMessage;

export type ServerMessageType = ServerMessage["type"];

/** Every message a client may send. */
export type ClientMessage = ResumeRequest;

/** Every message the server sends on a co-editing socket. */
export type CollabServerMessage = CollabWelcomeMessage | CollabSyncStep1Message | CollabSyncStep2Message | CollabUpdateMessage | CollabAwarenessMessage | CollabSavedMessage | CollabRefusedMessage | CollabReplaceMessage | CollabErrorMessage;

/** Every message a client sends on a co-editing socket. */
export type CollabClientMessage = ClientSyncStep1 | ClientSyncStep2 | ClientUpdate | ClientAwareness;
