// Rewiring gestures as operations: draw a wire, put a module into a wire, move one end of a wire elsewhere.
import type { ModuleSpec, PortSpec, PortType } from "../api/types";
import { defaultParams, type Catalogue } from "./catalogue";
import { checkConnection, portsCompatible, type ConnectionAttempt } from "./connection";
import { freshId, type GraphDocument, type GraphNode } from "./document";
import type { Operation } from "./operations";

export type Rewiring = { ok: true; ops: Operation[] } | { ok: false; reason: string };

/** The first port that fits `type`, preferring one of exactly that type over one that takes Any. */
function fitting(ports: readonly PortSpec[], fits: (port: PortSpec) => boolean, type: PortType): PortSpec | undefined {
  const candidates = ports.filter(fits);
  return candidates.find((p) => p.type === type) ?? candidates[0];
}

/** Whether the node has a wire on any port. */
export function isWired(doc: GraphDocument, nodeId: string): boolean {
  return doc.edges.some((e) => e.source.node === nodeId || e.target.node === nodeId);
}

/** The operation that draws a new wire between the attempt's ports, if the wiring rules allow it
 * (a drag from port to port and the keyboard's Wires dialog both draw through this). */
export function connectWire(doc: GraphDocument, catalogue: Catalogue, attempt: ConnectionAttempt): Rewiring {
  const check = checkConnection(doc, catalogue, attempt);
  if (!check.ok) return check;
  const edge = { id: freshId(doc, "e"), source: { node: attempt.source, port: attempt.sourcePort }, target: { node: attempt.target, port: attempt.targetPort } };
  return { ok: true, ops: [{ type: "add_edge", edge }] };
}

/** Operations that split wire `edgeId` into source → node → target, through the node's first
 * compatible input and output. The node may be new (not in `doc` yet: add it first, in the same
 * transaction) or on the canvas without wires. */
export function insertIntoWire(doc: GraphDocument, catalogue: Catalogue, edgeId: string, node: Pick<GraphNode, "id" | "module">): Rewiring {
  const edge = doc.edges.find((e) => e.id === edgeId);
  const spec = catalogue.get(node.module);
  const name = spec?.display_name ?? node.module;
  if (!edge) return { ok: false, reason: "That wire is gone." };
  if (!spec) return { ok: false, reason: `${name} is not in the catalogue.` };
  if (isWired(doc, node.id)) return { ok: false, reason: `${name} already has wires; only a module without wires can go into a wire.` };
  const source = doc.nodes.find((n) => n.id === edge.source.node);
  const target = doc.nodes.find((n) => n.id === edge.target.node);
  const out = source && catalogue.output(source.module, edge.source.port);
  const inp = target && catalogue.input(target.module, edge.target.port);
  if (!out || !inp) return { ok: false, reason: "This wire joins ports the catalogue does not know." };
  const into = fitting(spec.inputs, (p) => portsCompatible(out.type, p.type), out.type);
  if (!into) return { ok: false, reason: `Cannot put ${name} into this wire: it has no input that takes ${out.type}.` };
  const from = fitting(spec.outputs, (p) => portsCompatible(p.type, inp.type), inp.type);
  if (!from) return { ok: false, reason: `Cannot put ${name} into this wire: it has no output that “${inp.name}” takes (${inp.type}).` };
  const taken = new Set([node.id]);
  const first = freshId(doc, "e", taken);
  taken.add(first);
  const second = freshId(doc, "e", taken);
  return {
    ok: true,
    ops: [
      { type: "remove_edge", id: edge.id },
      { type: "add_edge", edge: { id: first, source: edge.source, target: { node: node.id, port: into.name } } },
      { type: "add_edge", edge: { id: second, source: { node: node.id, port: from.name }, target: edge.target } },
    ],
  };
}

/** Operations that add a new module of `spec` halfway between wire `edgeId`'s two modules and put it
 * into the wire (the keyboard's counterpart of dropping a palette module on a wire). */
export function addIntoWire(doc: GraphDocument, catalogue: Catalogue, edgeId: string, spec: ModuleSpec): Rewiring {
  const edge = doc.edges.find((e) => e.id === edgeId);
  const ends = edge ? doc.nodes.filter((n) => n.id === edge.source.node || n.id === edge.target.node) : [];
  const middle = (axis: "x" | "y") => Math.round(ends.reduce((sum, n) => sum + n.position[axis], 0) / Math.max(1, ends.length));
  const node = { id: freshId(doc, "n"), module: spec.ref, params: defaultParams(spec), position: { x: middle("x"), y: middle("y") } };
  const insert = insertIntoWire(doc, catalogue, edgeId, node);
  return insert.ok ? { ok: true, ops: [{ type: "add_node", node }, ...insert.ops] } : insert;
}

/** Operations that move wire `edgeId` to join the attempt's ports instead (it keeps its id), checked
 * as if the wire were already gone; none when it lands where it was. */
export function reconnectWire(doc: GraphDocument, catalogue: Catalogue, edgeId: string, attempt: ConnectionAttempt): Rewiring {
  const edge = doc.edges.find((e) => e.id === edgeId);
  if (!edge) return { ok: false, reason: "That wire is gone." };
  const same =
    edge.source.node === attempt.source && edge.source.port === attempt.sourcePort && edge.target.node === attempt.target && edge.target.port === attempt.targetPort;
  if (same) return { ok: true, ops: [] };
  const check = checkConnection(withoutEdge(doc, edgeId), catalogue, attempt);
  if (!check.ok) return check;
  return {
    ok: true,
    ops: [
      { type: "remove_edge", id: edgeId },
      { type: "add_edge", edge: { id: edgeId, source: { node: attempt.source, port: attempt.sourcePort }, target: { node: attempt.target, port: attempt.targetPort } } },
    ],
  };
}

/** The document without one wire (how a wire being moved is checked). */
export function withoutEdge(doc: GraphDocument, edgeId: string | null): GraphDocument {
  return edgeId === null ? doc : { ...doc, edges: doc.edges.filter((e) => e.id !== edgeId) };
}
