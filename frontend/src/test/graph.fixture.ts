// Graph documents for tests, written as their modules and wires.
import type { GraphDocument, GraphEdge } from "../graph/document";

/** A document of `modules` (id → module ref; no params, at the origin) wired by `wires`
 * ("data.dataset>split.dataset"), the wires named e1, e2, … in order. */
export function graphOf(modules: Record<string, string>, wires: string[] = []): GraphDocument {
  const edges = wires.map((wire, i): GraphEdge => {
    const [[sourceNode, sourcePort], [targetNode, targetPort]] = wire.split(">").map((end) => end.split("."));
    return { id: `e${i + 1}`, source: { node: sourceNode, port: sourcePort }, target: { node: targetNode, port: targetPort } };
  });
  const nodes = Object.entries(modules).map(([id, module]) => ({ id, module, params: {}, position: { x: 0, y: 0 } }));
  return { schema_version: 1, parameters: {}, nodes, edges, comments: [] };
}
