// Looking at an old version (read-only), comparing it with the draft, and restoring it.
import { useReactFlow } from "@xyflow/react";
import { useCallback, useState } from "react";
import { api, errorMessage } from "../api/client";
import { normalizeDocument, type GraphDocument } from "../graph/document";
import type { DiffMark } from "../graph/mapping";
import type { GraphStore } from "../graph/store";
import { diffView, type ServerDiff } from "./diff";

export interface Viewing {
  number: number;
  doc: GraphDocument;
  marks: ReadonlyMap<string, DiffMark>;
  compare: boolean;
}

export interface VersionViewing {
  viewing: Viewing | null;
  open: (n: number, compare: boolean) => Promise<void>;
  restore: (n: number) => Promise<void>;
  close: () => void;
}

const NO_MARKS: ReadonlyMap<string, DiffMark> = new Map();

export function useVersionViewing(
  graphId: number,
  store: GraphStore,
  saved: () => Promise<void>,
  toast: (text: string, kind?: "info" | "success" | "error") => void,
  onOpened: () => void,
): VersionViewing {
  const flow = useReactFlow();
  const [viewing, setViewing] = useState<Viewing | null>(null);

  const open = useCallback(
    async (n: number, compare: boolean) => {
      try {
        if (compare) {
          await saved();
          const diff = await api.get<ServerDiff>(`/api/graphs/${graphId}/diff/?from=${n}&to=draft`);
          const view = diffView(store.document, diff);
          setViewing({ number: n, doc: view.doc, marks: view.marks, compare: true });
        } else {
          const v = await api.get<{ document: GraphDocument }>(`/api/graphs/${graphId}/versions/${n}/`);
          setViewing({ number: n, doc: normalizeDocument(v.document), marks: NO_MARKS, compare: false });
        }
        onOpened();
        window.requestAnimationFrame(() => void flow.fitView({ padding: 0.2, duration: 200, maxZoom: 1 }));
      } catch (err) {
        toast(errorMessage(err), "error");
      }
    },
    [flow, graphId, onOpened, saved, store, toast],
  );

  // The restored draft comes back through the co-editing socket, to everyone who has it open.
  const restore = useCallback(
    async (n: number) => {
      if (!window.confirm(`Make version ${n} the draft? The current draft stays in the history only if it was saved as a version.`)) return;
      try {
        await saved();
        await api.post(`/api/graphs/${graphId}/versions/${n}/restore/`);
        setViewing(null);
        toast(`Restored version ${n} as the draft.`, "success");
      } catch (err) {
        toast(`Could not restore: ${errorMessage(err)}`, "error");
      }
    },
    [graphId, saved, toast],
  );

  return { viewing, open, restore, close: () => setViewing(null) };
}
