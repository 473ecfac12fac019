// The shared graph an editor page works on: a Y document, its store, presence and the co-editing
// socket. A refused edit drops this copy and syncs a fresh one from the server; a copy of a
// compacted generation is replaced by the state the server carried its edits into (the page keeps
// its view and selection; undo starts afresh). A copy too old to carry over is offered for download.
import { useEffect, useMemo, useState } from "react";
import { reportConnectivity } from "../api/client";
import { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import type { TextParams } from "../graph/shared";
import { GraphStore } from "../graph/store";
import type { ToastKind } from "../ui/toasts";
import { CollabConnection, type CollabState, type Replacement } from "./connection";
import { emptyPresence } from "./presence";

export interface Collab {
  store: GraphStore;
  awareness: Awareness;
  state: CollabState;
  /** The document came from the server at least once (before that it is empty, not the graph). */
  loaded: boolean;
  /** Resolves once the saved draft includes every edit made here. */
  saved: () => Promise<void>;
}

const OFFLINE_GRACE_MS = 1000;
const CONNECTING: CollabState = { status: "connecting", you: null, canEdit: null, unsaved: false, revision: 0, closedReason: null };

/** `textParams`: the code params of each module (shared text), from the catalogue. */
/** Save a document as a JSON file (a copy the server could not take). */
function download(name: string, document: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(document, null, 2)], { type: "application/json" }));
  const link = Object.assign(window.document.createElement("a"), { href: url, download: name });
  link.click();
  window.setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function useCollab(graphId: number, textParams: TextParams, toast: (text: string, kind?: ToastKind) => void): Collab {
  // A fresh copy: empty (after a refusal) or the state that replaces a compacted one.
  const [copy, setCopy] = useState<{ seed: Replacement | null }>({ seed: null });
  const session = useMemo(() => {
    const ydoc = new Y.Doc();
    if (copy.seed) Y.applyUpdate(ydoc, copy.seed.state);
    const awareness = new Awareness(ydoc);
    awareness.setLocalState(emptyPresence());
    return { ydoc, awareness, store: new GraphStore(ydoc, textParams), generation: copy.seed?.generation ?? null };
  }, [graphId, copy, textParams]);
  const [state, setState] = useState<CollabState>(CONNECTING);
  const [connection, setConnection] = useState<CollabConnection | null>(null);
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    const { ydoc, awareness, store, generation } = session;
    if (!generation) setLoaded(false); // a replacement is the graph already
    const connection = new CollabConnection(
      graphId,
      ydoc,
      awareness,
      {
        onState: (next) => {
          setState(next);
          if (next.status === "synced") setLoaded(true);
        },
        onRefused: (refusal) => {
          if (refusal.download) {
            download(`graph-${graphId}-offline-copy.json`, store.document);
            toast(`${refusal.message} Your copy was downloaded as a JSON file; reloaded the graph as saved.`, "error");
          } else toast(`The server refused an edit (${refusal.message}); reloaded the graph as saved.`, "error");
          setCopy({ seed: null });
        },
        onReplace: (replacement) => {
          if (replacement.merged) toast("The graph was compacted while this tab was away: your edits were merged into it.", "success");
          setCopy({ seed: replacement });
        },
      },
      generation,
    );
    setConnection(connection);
    return () => {
      connection.close();
      awareness.destroy();
      store.destroy();
      ydoc.destroy();
    };
  }, [graphId, session, toast]);

  // The banner says so when the socket stays down beyond a quick reconnect.
  const down = state.status === "offline";
  useEffect(() => {
    if (!down) {
      reportConnectivity("socket", true);
      return undefined;
    }
    const timer = window.setTimeout(() => reportConnectivity("socket", false), OFFLINE_GRACE_MS);
    return () => window.clearTimeout(timer);
  }, [down]);
  useEffect(() => () => reportConnectivity("socket", true), []);

  return {
    store: session.store,
    awareness: session.awareness,
    state,
    loaded,
    saved: () => connection?.saved() ?? Promise.resolve(),
  };
}
