// What can be wired without a pointer (the Wires dialog), for what has keyboard focus: a module's
// ports (each output to the other modules' inputs of a fitting type, each input from their
// outputs, and its wires to remove); a wire (its start or end moved to another port, a module put
// into it, or removed); a palette module (the wires it can go into). Each choice is offered or
// refused by the rules a drag follows (connection.ts, wiring.ts).
import type { ModuleSpec, PortSpec } from "../api/types";
import type { Catalogue } from "./catalogue";
import { checkConnection, portsCompatible, type ConnectionAttempt } from "./connection";
import type { GraphDocument, GraphEdge } from "./document";
import { holdsWords } from "./fuzzy";
import { addIntoWire, connectWire, insertIntoWire, reconnectWire, type Rewiring } from "./wiring";

export type WireAction =
  | { kind: "connect"; attempt: ConnectionAttempt }
  | { kind: "disconnect"; edge: string }
  /** Move a wire's start or end: it then joins the attempt's ports (a drag of the wire's end). */
  | { kind: "reconnect"; edge: string; attempt: ConnectionAttempt }
  /** Put a module on the canvas without wires into a wire (a drag of the module onto it). */
  | { kind: "insert"; edge: string; node: string }
  /** Put a new module of a catalogue ref into a wire (a palette module dropped on it). */
  | { kind: "add"; edge: string; module: string };

/** What the Wires dialog is about: a module on the canvas, a wire, or a module in the palette. */
export type WireSubject = { kind: "node"; id: string } | { kind: "edge"; id: string } | { kind: "palette"; module: string };

export interface WireChoice {
  /** Unique among one dialog's choices. */
  key: string;
  /** What it does to which port of the module, e.g. "Connect output “train” (DataFrame) to". */
  group: string;
  /** The other end, e.g. "Train model · dataset" (for a wire to remove: the whole wire). */
  label: string;
  /** The wire it draws or removes, source to target, e.g. "Split rows · train → Train model · dataset". */
  wire: string;
  action: WireAction;
  /** What was done, said once it is (e.g. "Wired Split rows · train → Train model · dataset."). */
  done: string;
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
  const { end, wire } = namer(doc, catalogue);
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
        const w = wire(a);
        return { key: `connect|${a.source}.${a.sourcePort}>${a.target}.${a.targetPort}`, group, label: other(a), wire: w, action: { kind: "connect", attempt: a }, done: `Wired ${w}.`, refused: check.ok ? undefined : check.reason };
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
    choices.push(disconnect(e, wire(attemptOf(e))));
  }
  return choices;
}

/** The choices for wire `edgeId`: move its start to another output (of the module its end is not
 * on) or its end to another input, each offered before those refused; put into it a module on the
 * canvas without wires, or a new one from the catalogue, whose ports fit; remove it. */
export function edgeChoices(doc: GraphDocument, catalogue: Catalogue, edgeId: string): WireChoice[] {
  const edge = doc.edges.find((e) => e.id === edgeId);
  const source = edge && doc.nodes.find((n) => n.id === edge.source.node);
  const target = edge && doc.nodes.find((n) => n.id === edge.target.node);
  const out = source && edge && catalogue.output(source.module, edge.source.port);
  const inp = target && edge && catalogue.input(target.module, edge.target.port);
  if (!edge || !out || !inp) return [];
  const { names, end, wire } = namer(doc, catalogue);
  const now = wire(attemptOf(edge));
  /** The ports (inputs or outputs) that fit on every module but `skip` (the wire's other end), but the one the wire is on now. */
  const ports = (skip: string, pick: (s: ModuleSpec) => PortSpec[], fits: (p: PortSpec) => boolean, here: { node: string; port: string }) =>
    doc.nodes
      .filter((n) => n.id !== skip)
      .flatMap((n) => {
        const s = catalogue.get(n.module);
        return s ? pick(s).filter(fits).map((p) => ({ node: n.id, port: p.name })) : [];
      })
      .filter((p) => p.node !== here.node || p.port !== here.port);
  const move = (group: string, attempts: ConnectionAttempt[], other: (a: ConnectionAttempt) => string): WireChoice[] => {
    const found = attempts.map((a): WireChoice => {
      const check = reconnectWire(doc, catalogue, edgeId, a);
      const w = wire(a);
      return { key: `reconnect|${a.source}.${a.sourcePort}>${a.target}.${a.targetPort}`, group, label: other(a), wire: w, action: { kind: "reconnect", edge: edgeId, attempt: a }, done: `Moved the wire: ${w}.`, refused: check.ok ? undefined : check.reason };
    });
    return [...found.filter((c) => !c.refused), ...found.filter((c) => c.refused)];
  };
  const starts = ports(edge.target.node, (s) => s.outputs, (p) => portsCompatible(p.type, inp.type), edge.source);
  const ends = ports(edge.source.node, (s) => s.inputs, (p) => portsCompatible(out.type, p.type), edge.target);
  const inserted = doc.nodes.filter((n) => insertIntoWire(doc, catalogue, edgeId, n).ok); // only modules without wires fit
  const added = catalogue.modules.filter((m) => fitsInto(doc, catalogue, edgeId, m.ref));
  const into = (name: string) => `Put ${name} into the wire ${now}.`;
  return [
    ...move(`Move its start (${end(edge.source.node, edge.source.port)}) to`, starts.map((p) => ({ ...attemptOf(edge), source: p.node, sourcePort: p.port })), (a) => end(a.source, a.sourcePort)),
    ...move(`Move its end (${end(edge.target.node, edge.target.port)}) to`, ends.map((p) => ({ ...attemptOf(edge), target: p.node, targetPort: p.port })), (a) => end(a.target, a.targetPort)),
    ...inserted.map((n): WireChoice => ({ key: `insert|${n.id}`, group: "Put into it a module on the canvas", label: names.get(n.id) ?? n.id, wire: now, action: { kind: "insert", edge: edgeId, node: n.id }, done: into(names.get(n.id) ?? n.id) })),
    ...added.map((m): WireChoice => ({ key: `add|${m.ref}`, group: "Put into it a new module", label: m.display_name, wire: now, action: { kind: "add", edge: edgeId, module: m.ref }, done: into(`a new ${m.display_name}`) })),
    disconnect(edge, now),
  ];
}

/** The choices for a module of the palette: each wire it can go into (as a new module), in the document's order. */
export function paletteChoices(doc: GraphDocument, catalogue: Catalogue, module: string): WireChoice[] {
  const spec = catalogue.get(module);
  if (!spec) return [];
  const { wire } = namer(doc, catalogue);
  return doc.edges
    .filter((e) => fitsInto(doc, catalogue, e.id, module))
    .map((e): WireChoice => {
      const w = wire(attemptOf(e));
      return { key: `add|${e.id}`, group: `Put a new ${spec.display_name} into the wire`, label: w, wire: w, action: { kind: "add", edge: e.id, module }, done: `Put a new ${spec.display_name} into the wire ${w}.` };
    });
}

export interface WireView {
  /** The dialog's title, e.g. "Wires of Split rows". */
  title: string;
  choices: WireChoice[];
  /** Said when there is no choice at all. */
  none: string;
}

/** The dialog's title, choices and empty sentence for what it is about; null when that is gone. */
export function wireView(doc: GraphDocument, catalogue: Catalogue, subject: WireSubject): WireView | null {
  const { names, wire } = namer(doc, catalogue);
  if (subject.kind === "node") {
    const name = names.get(subject.id);
    if (name === undefined) return null;
    return { title: `Wires of ${name}`, choices: wireChoices(doc, catalogue, subject.id), none: `No other module has a port that fits ${name}: add one from the palette first.` };
  }
  if (subject.kind === "edge") {
    const edge = doc.edges.find((e) => e.id === subject.id);
    if (!edge) return null;
    return { title: `Wire ${wire(attemptOf(edge))}`, choices: edgeChoices(doc, catalogue, subject.id), none: "This wire joins ports the catalogue does not know." };
  }
  const name = catalogue.get(subject.module)?.display_name;
  if (name === undefined) return null;
  return { title: `Put ${name} into a wire`, choices: paletteChoices(doc, catalogue, subject.module), none: `No wire fits ${name}: it needs an input that takes what the wire carries and an output its end takes.` };
}

/** How choices name modules, ports and wires ("Split rows · train → Train model · dataset"). */
function namer(doc: GraphDocument, catalogue: Catalogue) {
  const names = moduleNames(doc, catalogue);
  const end = (node: string, port: string) => `${names.get(node) ?? node} · ${port}`;
  const wire = (a: ConnectionAttempt) => `${end(a.source, a.sourcePort)} → ${end(a.target, a.targetPort)}`;
  return { names, end, wire };
}

/** Whether a new module of `module` can go into wire `edgeId` (a node not on the canvas has no wires). */
function fitsInto(doc: GraphDocument, catalogue: Catalogue, edgeId: string, module: string): boolean {
  return insertIntoWire(doc, catalogue, edgeId, { id: "", module }).ok;
}

function attemptOf(e: GraphEdge): ConnectionAttempt {
  return { source: e.source.node, sourcePort: e.source.port, target: e.target.node, targetPort: e.target.port };
}

function disconnect(e: GraphEdge, wire: string): WireChoice {
  return { key: `disconnect|${e.id}`, group: "Disconnect", label: wire, wire, action: { kind: "disconnect", edge: e.id }, done: `Removed the wire ${wire}.` };
}

function drawn(edges: readonly GraphEdge[], a: ConnectionAttempt): boolean {
  return edges.some((e) => e.source.node === a.source && e.source.port === a.sourcePort && e.target.node === a.target && e.target.port === a.targetPort);
}

/** The choices holding every typed word in what they do or their other end ("from normalize"), in their order. */
export function filterChoices(choices: readonly WireChoice[], query: string): WireChoice[] {
  return choices.filter((c) => holdsWords(query, `${c.group} ${c.label}`));
}

/** The operations of a chosen action on the document as it is now (it may have changed since it
 * was offered): the same functions a drag asks, so the same one edit. */
export function wireOperations(doc: GraphDocument, catalogue: Catalogue, action: WireAction): Rewiring {
  switch (action.kind) {
    case "connect":
      return connectWire(doc, catalogue, action.attempt);
    case "reconnect":
      return reconnectWire(doc, catalogue, action.edge, action.attempt);
    case "insert": {
      const node = doc.nodes.find((n) => n.id === action.node);
      return node ? insertIntoWire(doc, catalogue, action.edge, node) : { ok: false, reason: "That module is gone." };
    }
    case "add": {
      const spec = catalogue.get(action.module);
      return spec ? addIntoWire(doc, catalogue, action.edge, spec) : { ok: false, reason: `${action.module} is not in the catalogue.` };
    }
    case "disconnect":
      if (!doc.edges.some((e) => e.id === action.edge)) return { ok: false, reason: "That wire is gone." };
      return { ok: true, ops: [{ type: "remove_edge", id: action.edge }] };
  }
}
