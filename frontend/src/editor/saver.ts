// Autosave of the draft with If-Match: one save in flight, saves again if edits came meanwhile, stops on conflict.
import { ApiError, NetworkError, request } from "../api/client";
import type { Issue } from "../api/types";
import type { GraphDocument } from "../graph/document";
import type { GraphStore } from "../graph/store";

export type SaveState = "saved" | "dirty" | "saving" | "offline" | "conflict" | "error";

export interface Conflict {
  theirs: GraphDocument;
  etag: string;
}

export interface SaverEvents {
  onState: (state: SaveState, detail?: string) => void;
  onConflict: (conflict: Conflict) => void;
  onIssues: (issues: Issue[]) => void;
}

const DEBOUNCE_MS = 600;

export class DraftSaver {
  etag: string;
  private savedRevision: number;
  private timer: number | undefined;
  private inFlight: Promise<void> | null = null;
  private stopped = false;
  private state: SaveState = "saved";

  constructor(
    private readonly graphId: number,
    private readonly store: GraphStore,
    etag: string,
    private readonly events: SaverEvents,
  ) {
    this.etag = etag;
    this.savedRevision = store.revision;
  }

  get dirty(): boolean {
    return this.store.revision !== this.savedRevision;
  }

  /** The store changed: save soon. */
  changed(): void {
    if (this.stopped || this.state === "conflict") return;
    if (!this.dirty) return;
    this.set("dirty");
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.flush(), DEBOUNCE_MS);
  }

  /** The document was replaced from the server at this ETag (a load, a restore): nothing to save. */
  adopt(etag: string): void {
    window.clearTimeout(this.timer);
    this.etag = etag;
    this.savedRevision = this.store.revision;
    this.set("saved");
  }

  /** Save now if there is anything unsaved; resolves when the draft on the server matches the store. */
  async flush(): Promise<void> {
    window.clearTimeout(this.timer);
    while (this.inFlight) await this.inFlight;
    if (!this.dirty || this.state === "conflict" || this.stopped) return;
    this.inFlight = this.saveOnce().finally(() => {
      this.inFlight = null;
    });
    await this.inFlight;
    if (this.dirty && this.canRetry()) await this.flush();
  }

  private canRetry(): boolean {
    return this.state !== "conflict" && this.state !== "error";
  }

  /** Resume saving (the page is shown again). */
  start(): void {
    this.stopped = false;
    this.changed();
  }

  /** Stop scheduling saves (the page is going away). */
  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
  }

  private async saveOnce(): Promise<void> {
    const revision = this.store.revision;
    const document = this.store.document;
    this.set("saving");
    try {
      const res = await request<{ etag: string; issues: Issue[] }>("PUT", `/api/graphs/${this.graphId}/draft/`, {
        body: document,
        headers: { "If-Match": this.etag },
        retry: true,
      });
      this.etag = res.data.etag ?? res.headers.get("ETag") ?? this.etag;
      this.savedRevision = revision;
      // Issues of an older revision would overwrite live validation of the newer one.
      if (!this.dirty) this.events.onIssues(res.data.issues ?? []);
      this.set(this.dirty ? "dirty" : "saved");
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        this.set("conflict");
        this.events.onConflict({ theirs: err.body.draft as GraphDocument, etag: String(err.body.etag) });
      } else if (err instanceof NetworkError) {
        this.set("offline");
      } else {
        this.set("error", err instanceof Error ? err.message : String(err));
      }
    }
  }

  private set(state: SaveState, detail?: string): void {
    this.state = state;
    this.events.onState(state, detail);
  }
}
