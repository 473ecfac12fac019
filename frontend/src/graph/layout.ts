// Auto-layout with elkjs (layered, left to right): returns move operations, one undo step.
import type { ElkNode } from "elkjs/lib/elk-api";
import type { GraphDocument } from "./document";
import { NODE_WIDTH } from "./mapping";
import type { Operation } from "./operations";


/** Height of the tallest module node (ports on both edges; see estimatedGeometry). */
const NODE_HEIGHT = 89;

export async function layoutOperations(doc: GraphDocument): Promise<Operation[]> {
  const { default: ELK } = await import("elkjs/lib/elk.bundled.js");
  const elk = new ELK();
  const graph: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.layered.spacing.nodeNodeBetweenLayers": "70",
      "elk.spacing.nodeNode": "50",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
    },
    children: doc.nodes.map((n) => ({ id: n.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: doc.edges.map((e) => ({ id: e.id, sources: [e.source.node], targets: [e.target.node] })),
  };
  const result = await elk.layout(graph);
  const ops: Operation[] = [];
  for (const child of result.children ?? []) {
    const node = doc.nodes.find((n) => n.id === child.id);
    if (!node || child.x === undefined || child.y === undefined) continue;
    const position = { x: Math.round(child.x), y: Math.round(child.y) };
    if (position.x !== node.position.x || position.y !== node.position.y) {
      ops.push({ type: "move_node", id: node.id, position });
    }
  }
  return ops;
}
