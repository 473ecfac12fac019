// WebSockets that reconnect with backoff: a run's (snapshot, then events; on a drop it resumes from
// the last seq it applied) and a workspace's (its recent runs, then run-level events).
import { afterClose, checkSession } from "../api/session";
import { SUBPROTOCOL, type ServerMessage } from "../protocol.gen";

export interface SocketHandlers {
  onMessage: (msg: ServerMessage) => void;
  onConnection?: (connected: boolean) => void;
}

class ReconnectingSocket {
  private ws: WebSocket | null = null;
  private closed = false;
  private retry = 500;
  private timer: number | undefined;

  constructor(
    private readonly path: () => string,
    private readonly handlers: SocketHandlers,
  ) {
    this.open();
  }

  private open(): void {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${window.location.host}${this.path()}`, [SUBPROTOCOL]);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 500;
      this.handlers.onConnection?.(true);
    };
    ws.onmessage = (e) => {
      try {
        this.handlers.onMessage(JSON.parse(e.data as string) as ServerMessage);
      } catch {
        // a malformed frame is dropped; the next event's seq reveals any gap
      }
    };
    ws.onclose = (e) => {
      this.ws = null;
      this.handlers.onConnection?.(false);
      const next = afterClose(e.code);
      if (this.closed || next === "stop") return;
      if (next === "reconnect") this.reconnect();
      else void checkSession(e.code).then((verdict) => (verdict === "reconnect" || verdict === "retry") && this.reconnect());
    };
  }

  private reconnect(): void {
    if (this.closed) return;
    this.timer = window.setTimeout(() => this.open(), this.retry);
    this.retry = Math.min(this.retry * 2, 8000);
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.timer);
    this.ws?.close();
  }
}

/** A run's live stream; `lastSeq` is the last event applied (null before the snapshot). */
export function openRunSocket(runId: number, lastSeq: () => number | null, handlers: SocketHandlers): { close: () => void } {
  return new ReconnectingSocket(() => {
    const seq = lastSeq();
    return `/ws/runs/${runId}/${seq === null ? "" : `?resume_from=${seq}`}`;
  }, handlers);
}

/** A workspace's run list stream: a snapshot of recent runs, then their status changes. */
export function openWorkspaceSocket(workspaceId: number, handlers: SocketHandlers): { close: () => void } {
  return new ReconnectingSocket(() => `/ws/workspaces/${workspaceId}/`, handlers);
}
