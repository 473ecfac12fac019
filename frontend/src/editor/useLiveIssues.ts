// The engine's issues for the document on screen: validated by the server shortly after each change.
import { useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import type { Issue } from "../api/types";
import type { GraphDocument } from "../graph/document";

const DELAY_MS = 350;

export function useLiveIssues(graphId: number, doc: GraphDocument | null, initial: Issue[]): [Issue[], (issues: Issue[]) => void] {
  const [issues, setIssues] = useState<Issue[]>(initial);
  const seq = useRef(0);
  const first = useRef(true);
  useEffect(() => {
    if (doc === null) return undefined;
    if (first.current) {
      first.current = false; // the server sent the saved document's issues with it
      return undefined;
    }
    const mine = ++seq.current;
    const timer = window.setTimeout(() => {
      api
        .post<{ issues: Issue[] }>(`/api/graphs/${graphId}/validate/`, doc)
        .then((r) => {
          if (mine === seq.current) setIssues(r.issues);
        })
        .catch(() => undefined);
    }, DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [doc, graphId]);
  return [issues, setIssues];
}
