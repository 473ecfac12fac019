// Turn the server's structural diff into canvas marks: added / changed nodes, and removed nodes shown as ghosts.
import type { GraphDocument, GraphNode } from "../graph/document";
import type { DiffMark } from "../graph/mapping";

export interface ServerDiff {
  nodes: { added: GraphNode[]; removed: GraphNode[]; changed: { id: string }[] };
  edges: { added: unknown[]; removed: unknown[] };
}

/** The newer document with the removed nodes put back, and a mark per node that differs. */
export function diffView(newer: GraphDocument, diff: ServerDiff): { doc: GraphDocument; marks: Map<string, DiffMark> } {
  const marks = new Map<string, DiffMark>();
  for (const n of diff.nodes.added) marks.set(n.id, "added");
  for (const c of diff.nodes.changed) marks.set(c.id, "changed");
  const ghosts = diff.nodes.removed.filter((n) => !newer.nodes.some((m) => m.id === n.id));
  for (const n of ghosts) marks.set(n.id, "removed");
  return { doc: { ...newer, nodes: [...newer.nodes, ...ghosts] }, marks };
}
