// The latest run's results the draft has moved away from: the run's own graph version, read once
// per run version, compared with the draft on every change (graph/staleness.ts).
import { useEffect, useMemo, useState } from "react";
import { api } from "../api/client";
import { normalizeDocument, type GraphDocument } from "../graph/document";
import { outOfDate, type Staleness } from "../graph/staleness";

const NONE: ReadonlyMap<string, Staleness> = new Map();

export function useOutOfDate(graphId: number, version: number | undefined, draft: GraphDocument): ReadonlyMap<string, Staleness> {
  const [ran, setRan] = useState<{ version: number; doc: GraphDocument } | null>(null);
  useEffect(() => {
    if (version === undefined) return undefined;
    const ctrl = new AbortController();
    api
      .get<{ document: GraphDocument }>(`/api/graphs/${graphId}/versions/${version}/`, ctrl.signal)
      .then((v) => setRan({ version, doc: normalizeDocument(v.document) }))
      .catch(() => undefined); // without the run's graph, nothing is marked
    return () => ctrl.abort();
  }, [graphId, version]);
  return useMemo(() => (ran && ran.version === version ? outOfDate(ran.doc, draft) : NONE), [draft, ran, version]);
}
