// The co-editing socket (/ws/graphs/<id>/edit/, designer/realtime/collab_protocol.py): keeps a Y
// document and its awareness in sync with the graph's room, reconnecting with backoff. Edits made
// while the socket is down stay in the document and go to the server in the next handshake. A copy
// of an earlier generation (the server compacted the state meanwhile, decision 0036) is answered
// with `collab.replace`: its edits carried over into the current state, which replaces the copy.
import { applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates, type Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { afterClose, checkSession } from "../api/session";
import { SUBPROTOCOL, type Collaborator, type CollabClientMessage, type CollabServerMessage, type RefusedData } from "../protocol.gen";

export type CollabStatus = "connecting" | "synced" | "offline" | "closed";

export interface CollabState {
  status: CollabStatus;
  /** Who this browser is in the room (null before the welcome). */
  you: Collaborator | null;
  /** Whether the server takes this browser's edits (false for viewers; null before the welcome). */
  canEdit: boolean | null;
  /** Local edits the saved draft does not include yet. */
  unsaved: boolean;
  /** The saved draft's revision. */
  revision: number;
  /** Why the socket closed for good (removed from the workspace, …). */
  closedReason: string | null;
}

/** The current shared state, sent to a copy of an earlier generation (`collab.replace`). */
export interface Replacement {
  state: Uint8Array;
  generation: number;
  /** The copy's edits were carried over into `state`. */
  merged: boolean;
}

export interface CollabHandlers {
  onState: (state: CollabState) => void;
  /** An edit was refused: this copy must be dropped and the graph synced afresh. */
  onRefused: (refusal: RefusedData) => void;
  /** The state was compacted since this copy was made: it must be replaced by this one. */
  onReplace: (replacement: Replacement) => void;
}

const toBase64 = (bytes: Uint8Array): string => {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
};
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const isEmpty = (doc: Y.Doc): boolean => Y.encodeStateVector(doc).length <= 1;

export class CollabConnection {
  private ws: WebSocket | null = null;
  private retry = 500;
  private timer: number | undefined;
  private stopped = false;
  private sent = 0; // edit messages sent on this socket (what `collab.saved` counts)
  private savedThrough = 0;
  private offlineEdits = false; // edits made while no socket could take them
  private waiters: (() => void)[] = [];
  private state: CollabState = { status: "connecting", you: null, canEdit: null, unsaved: false, revision: 0, closedReason: null };

  constructor(
    private readonly graphId: number,
    private readonly doc: Y.Doc,
    private readonly awareness: Awareness,
    private readonly handlers: CollabHandlers,
    /** The generation of the state `doc` holds (null: unknown, taken from the welcome). */
    private generation: number | null = null,
  ) {
    doc.on("update", this.onLocalUpdate);
    awareness.on("update", this.onAwarenessUpdate);
    this.open();
  }

  get current(): CollabState {
    return this.state;
  }

  /** Resolves once the saved draft includes every edit made here so far. */
  saved(): Promise<void> {
    if (!this.state.unsaved) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.doc.off("update", this.onLocalUpdate);
    this.awareness.off("update", this.onAwarenessUpdate);
    this.ws?.close();
  }

  private open(): void {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${window.location.host}/ws/graphs/${this.graphId}/edit/`, [SUBPROTOCOL]);
    this.ws = ws;
    this.sent = 0;
    this.savedThrough = 0;
    ws.onopen = () => {
      this.retry = 500;
      this.send({ type: "collab.sync_step1", data: { state_vector: toBase64(Y.encodeStateVector(this.doc)), generation: this.generation } });
      this.sendPresence();
    };
    ws.onmessage = (e) => this.receive(JSON.parse(e.data as string) as CollabServerMessage);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      // Others' presence is stale while disconnected; the server sends it afresh on reconnect.
      const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.awareness.clientID);
      removeAwarenessStates(this.awareness, others, this);
      const next = afterClose(e.code);
      if (this.stopped || next === "stop") {
        this.update({ status: "closed" });
        return;
      }
      if (next === "reconnect") {
        this.reconnect();
        return;
      }
      // The session ended or the socket was refused as signed out: reconnect only if still signed in.
      this.update({ status: "offline" });
      void checkSession(e.code).then((verdict) => {
        if (verdict === "reconnect" || verdict === "retry") this.reconnect();
        else this.update({ status: "closed" });
      });
    };
  }

  private reconnect(): void {
    if (this.stopped) return;
    this.update({ status: "offline", closedReason: null });
    this.timer = window.setTimeout(() => this.open(), this.retry);
    this.retry = Math.min(this.retry * 2, 8000);
  }

  private receive(message: CollabServerMessage): void {
    switch (message.type) {
      case "collab.welcome":
        // An empty copy is of any generation; one with content keeps its own until replaced.
        if (this.generation === null || isEmpty(this.doc)) this.generation = message.data.generation;
        this.update({ you: message.data.you, canEdit: message.data.can_edit, revision: message.data.revision });
        return;
      case "collab.sync_step1": {
        // What the server lacks (edits made offline) answers its state vector.
        const missing = Y.encodeStateAsUpdate(this.doc, fromBase64(message.data.state_vector));
        this.offlineEdits = false;
        this.sendEdit({ type: "collab.sync_step2", data: { update: toBase64(missing) } });
        return;
      }
      case "collab.sync_step2":
        Y.applyUpdate(this.doc, fromBase64(message.data.update), this);
        this.update({ status: "synced" });
        return;
      case "collab.update":
        Y.applyUpdate(this.doc, fromBase64(message.data.update), this);
        return;
      case "collab.awareness":
        applyAwarenessUpdate(this.awareness, fromBase64(message.data.update), this);
        return;
      case "collab.saved":
        this.savedThrough = message.data.through;
        this.update({ revision: message.data.revision });
        return;
      case "collab.refused":
        this.handlers.onRefused(message.data);
        return;
      case "collab.replace":
        this.handlers.onReplace({ state: fromBase64(message.data.state), generation: message.data.generation, merged: message.data.merged });
        return;
      case "error":
        this.update({ closedReason: message.data.message });
        return;
    }
  }

  private onLocalUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this) return; // applied from the server
    if (this.ws?.readyState === WebSocket.OPEN) this.sendEdit({ type: "collab.update", data: { update: toBase64(update) } });
    else {
      this.offlineEdits = true;
      this.update({});
    }
  };

  private onAwarenessUpdate = (_change: unknown, origin: unknown): void => {
    if (origin === "local") this.sendPresence();
  };

  private sendPresence(): void {
    if (this.awareness.getLocalState() === null) return;
    this.send({ type: "collab.awareness", data: { update: toBase64(encodeAwarenessUpdate(this.awareness, [this.awareness.clientID])) } });
  }

  private sendEdit(message: CollabClientMessage): void {
    this.sent += 1;
    this.send(message);
    this.update({});
  }

  private send(message: CollabClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private update(changes: Partial<CollabState>): void {
    const unsaved = this.offlineEdits || this.savedThrough < this.sent;
    this.state = { ...this.state, ...changes, unsaved };
    this.handlers.onState(this.state);
    if (!unsaved) for (const resolve of this.waiters.splice(0)) resolve();
  }
}
