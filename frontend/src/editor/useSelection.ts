// What is selected on the canvas; others see it (presence) in this editor's colour.
import { useCallback, useEffect, useState } from "react";
import type { LocalPresence } from "../collab/presence";

export interface Selection {
  nodes: Set<string>;
  edges: Set<string>;
  select: (nodes: Set<string>, edges: Set<string>) => void;
}

export function useSelection(presence: LocalPresence): Selection {
  const [nodes, setNodes] = useState<Set<string>>(new Set());
  const [edges, setEdges] = useState<Set<string>>(new Set());
  const select = useCallback((n: Set<string>, e: Set<string>) => {
    setNodes(n);
    setEdges(e);
  }, []);
  useEffect(() => presence.selection(nodes, edges), [presence, nodes, edges]);
  return { nodes, edges, select };
}
