// Copy a selection (with the wires inside it) and paste it back with fresh ids, offset.
import { freshId, type GraphComment, type GraphDocument, type GraphEdge, type GraphNode } from "./document";
import type { Operation } from "./operations";

export interface Fragment {
  kind: "designer/fragment";
  nodes: GraphNode[];
  edges: GraphEdge[];
  comments: GraphComment[];
}

export function copySelection(doc: GraphDocument, nodeIds: Iterable<string>, commentIds: Iterable<string> = []): Fragment {
  const ids = new Set(nodeIds);
  const cids = new Set(commentIds);
  return {
    kind: "designer/fragment",
    nodes: doc.nodes.filter((n) => ids.has(n.id)),
    edges: doc.edges.filter((e) => ids.has(e.source.node) && ids.has(e.target.node)),
    comments: doc.comments.filter((c) => cids.has(c.id)),
  };
}

export function isFragment(value: unknown): value is Fragment {
  return typeof value === "object" && value !== null && (value as Fragment).kind === "designer/fragment";
}

/** Operations that paste the fragment; returns them and the ids of the new nodes and comments. */
export function pasteOperations(
  doc: GraphDocument,
  fragment: Fragment,
  offset: { x: number; y: number },
): { ops: Operation[]; nodeIds: string[]; commentIds: string[] } {
  const taken = new Set<string>();
  const take = (prefix: string) => {
    const id = freshId(doc, prefix, taken);
    taken.add(id);
    return id;
  };
  const mapping = new Map<string, string>();
  const ops: Operation[] = [];
  for (const n of fragment.nodes) {
    const id = take("n");
    mapping.set(n.id, id);
    ops.push({
      type: "add_node",
      node: { ...n, id, params: { ...n.params }, position: { x: n.position.x + offset.x, y: n.position.y + offset.y } },
    });
  }
  for (const e of fragment.edges) {
    const source = mapping.get(e.source.node);
    const target = mapping.get(e.target.node);
    if (!source || !target) continue;
    ops.push({
      type: "add_edge",
      edge: { id: take("e"), source: { node: source, port: e.source.port }, target: { node: target, port: e.target.port } },
    });
  }
  const commentIds: string[] = [];
  for (const c of fragment.comments) {
    const id = take("c");
    commentIds.push(id);
    ops.push({ type: "add_comment", comment: { ...c, id, position: { x: c.position.x + offset.x, y: c.position.y + offset.y } } });
  }
  return { ops, nodeIds: [...mapping.values()], commentIds };
}
