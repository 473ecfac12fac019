// The shared graph an editor page works on: a Y document, its store, presence and the co-editing
// socket. A refused edit drops this copy and syncs a fresh one from the server.
import { useEffect, useMemo, useState } from "react";
import { reportConnectivity } from "../api/client";
import { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import type { TextParams } from "../graph/shared";
import { GraphStore } from "../graph/store";
import type { ToastKind } from "../ui/toasts";
import { CollabConnection, type CollabState } from "./connection";
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
export function useCollab(graphId: number, textParams: TextParams, toast: (text: string, kind?: ToastKind) => void): Collab {
  const [generation, setGeneration] = useState(0);
  const session = useMemo(() => {
    const ydoc = new Y.Doc();
    const awareness = new Awareness(ydoc);
    awareness.setLocalState(emptyPresence());
    return { ydoc, awareness, store: new GraphStore(ydoc, textParams) };
  }, [graphId, generation, textParams]); // a new generation is a fresh copy (after a refusal)
  const [state, setState] = useState<CollabState>(CONNECTING);
  const [connection, setConnection] = useState<CollabConnection | null>(null);
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    const { ydoc, awareness, store } = session;
    setLoaded(false);
    const connection = new CollabConnection(graphId, ydoc, awareness, {
      onState: (next) => {
        setState(next);
        if (next.status === "synced") setLoaded(true);
      },
      onRefused: (refusal) => {
        toast(`The server refused an edit (${refusal.message}); reloaded the graph as saved.`, "error");
        setGeneration((g) => g + 1);
      },
    });
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
