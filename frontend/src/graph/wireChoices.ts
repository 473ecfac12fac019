// What one module's ports can be wired to without a pointer (the Wires dialog): for each of its
// outputs the other modules' inputs of a fitting type, for each of its inputs the other modules'
// outputs, each offered or refused by the rules a drag follows (connection.ts), and its wires to
// remove.
import type { ModuleSpec, PortSpec } from "../api/types";
import type { Catalogue } from "./catalogue";
import { checkConnection, portsCompatible, type ConnectionAttempt } from "./connection";
import type { GraphDocument, GraphEdge } from "./document";
import { holdsWords } from "./fuzzy";
import { connectWire, type Rewiring } from "./wiring";

export type WireAction = { kind: "connect"; attempt: ConnectionAttempt } | { kind: "disconnect"; edge: string };

export interface WireChoice {
  /** Unique among one module's choices. */
  key: string;
  /** What it does to which port of the module, e.g. "Connect output “train” (DataFrame) to". */
  group: string;
  /** The other end, e.g. "Train model · dataset" (for a wire to remove: the whole wire). */
  label: string;
  /** The wire it draws or removes, source to target, e.g. "Split rows · train → Train model · dataset". */
  wire: string;
  action: WireAction;
  /** Why it cannot be chosen now (the port fits, but the wire would break a rule); shown, not chosen. */
  refused?: string;
}

/** Each module's name as people see it (its label, else its module's name), with its id when two share one. */
export function moduleNames(doc: GraphDocument, catalogue: Catalogue): Map<string, string> {
  const plain = new Map(doc.nodes.map((n) => [n.id, n.label || catalogue.get(n.module)?.display_name || n.module]));
  const count = new Map<string, number>();
  for (const name of plain.values()) count.set(name, (count.get(name) ?? 0) + 1);
  return new Map([...plain].map(([id, name]) => [id, (count.get(name) ?? 0) > 1 ? `${name} (${id})` : name]));
}

/** The choices for module `nodeId`: per output then per input, those offered before those refused;
 * then its wires, to remove. Ports of a type that does not fit are left out; so is a wire already drawn. */
export function wireChoices(doc: GraphDocument, catalogue: Catalogue, nodeId: string): WireChoice[] {
  const node = doc.nodes.find((n) => n.id === nodeId);
  const spec = node && catalogue.get(node.module);
  if (!spec) return [];
  const names = moduleNames(doc, catalogue);
  const end = (node: string, port: string) => `${names.get(node) ?? node} · ${port}`;
  const wire = (a: ConnectionAttempt) => `${end(a.source, a.sourcePort)} → ${end(a.target, a.targetPort)}`;
  const others = doc.nodes.filter((n) => n.id !== nodeId);
  /** The other modules' ports (inputs or outputs) of a fitting type. */
  const ports = (pick: (s: ModuleSpec) => PortSpec[], fits: (p: PortSpec) => boolean) =>
    others.flatMap((o) => {
      const s = catalogue.get(o.module);
      return s ? pick(s).filter(fits).map((p) => ({ node: o.id, port: p.name })) : [];
    });
  const connect = (group: string, attempts: ConnectionAttempt[], other: (a: ConnectionAttempt) => string): WireChoice[] => {
    const found = attempts
      .filter((a) => !drawn(doc.edges, a))
      .map((a): WireChoice => {
        const check = checkConnection(doc, catalogue, a);
        return { key: `connect|${a.source}.${a.sourcePort}>${a.target}.${a.targetPort}`, group, label: other(a), wire: wire(a), action: { kind: "connect", attempt: a }, refused: check.ok ? undefined : check.reason };
      });
    return [...found.filter((c) => !c.refused), ...found.filter((c) => c.refused)];
  };
  const choices: WireChoice[] = [];
  for (const out of spec.outputs) {
    const targets = ports((s) => s.inputs, (p) => portsCompatible(out.type, p.type));
    const attempts = targets.map((t) => ({ source: nodeId, sourcePort: out.name, target: t.node, targetPort: t.port }));
    choices.push(...connect(`Connect output “${out.name}” (${out.type}) to`, attempts, (a) => end(a.target, a.targetPort)));
  }
  for (const inp of spec.inputs) {
    const sources = ports((s) => s.outputs, (p) => portsCompatible(p.type, inp.type));
    const attempts = sources.map((s) => ({ source: s.node, sourcePort: s.port, target: nodeId, targetPort: inp.name }));
    choices.push(...connect(`Connect input “${inp.name}” (${inp.type}) from`, attempts, (a) => end(a.source, a.sourcePort)));
  }
  for (const e of doc.edges.filter((x) => x.source.node === nodeId || x.target.node === nodeId)) {
    const w = wire({ source: e.source.node, sourcePort: e.source.port, target: e.target.node, targetPort: e.target.port });
    choices.push({ key: `disconnect|${e.id}`, group: "Disconnect", label: w, wire: w, action: { kind: "disconnect", edge: e.id } });
  }
  return choices;
}

function drawn(edges: readonly GraphEdge[], a: ConnectionAttempt): boolean {
  return edges.some((e) => e.source.node === a.source && e.source.port === a.sourcePort && e.target.node === a.target && e.target.port === a.targetPort);
}

/** The choices holding every typed word in what they do or their other end ("from normalize"), in their order. */
export function filterChoices(choices: readonly WireChoice[], query: string): WireChoice[] {
  return choices.filter((c) => holdsWords(query, `${c.group} ${c.label}`));
}

/** The operations of a chosen action on the document as it is now (it may have changed since it was offered). */
export function wireOperations(doc: GraphDocument, catalogue: Catalogue, action: WireAction): Rewiring {
  if (action.kind === "connect") return connectWire(doc, catalogue, action.attempt);
  if (!doc.edges.some((e) => e.id === action.edge)) return { ok: false, reason: "That wire is gone." };
  return { ok: true, ops: [{ type: "remove_edge", id: action.edge }] };
}
