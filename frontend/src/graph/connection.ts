// Which wires are allowed: typed ports, one wire per input, no self-loops, no cycles.
import type { PortType } from "../api/types";
import type { Catalogue } from "./catalogue";
import type { GraphDocument } from "./document";

export interface ConnectionAttempt {
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

export type ConnectionCheck = { ok: true } | { ok: false; reason: string };

/** Mirror of designer.engine.types.ports_compatible. */
export function portsCompatible(source: PortType, target: PortType): boolean {
  return source === target || source === "Any" || target === "Any";
}

function reaches(doc: GraphDocument, from: string, to: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of doc.edges) {
    const list = next.get(e.source.node) ?? [];
    list.push(e.target.node);
    next.set(e.source.node, list);
  }
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}

/** Whether the wire may be added, and if not, a sentence saying why. */
export function checkConnection(doc: GraphDocument, catalogue: Catalogue, c: ConnectionAttempt): ConnectionCheck {
  if (c.source === c.target) return { ok: false, reason: "A module cannot feed itself." };
  const sourceNode = doc.nodes.find((n) => n.id === c.source);
  const targetNode = doc.nodes.find((n) => n.id === c.target);
  if (!sourceNode || !targetNode) return { ok: false, reason: "Both ends must be modules on the canvas." };
  const out = catalogue.output(sourceNode.module, c.sourcePort);
  const inp = catalogue.input(targetNode.module, c.targetPort);
  if (!out) return { ok: false, reason: `“${c.sourcePort}” is not an output of ${sourceNode.module}.` };
  if (!inp) return { ok: false, reason: `“${c.targetPort}” is not an input of ${targetNode.module}.` };
  if (!portsCompatible(out.type, inp.type)) {
    return {
      ok: false,
      reason: `Type mismatch: “${out.name}” gives ${out.type}, but “${inp.name}” takes ${inp.type}.`,
    };
  }
  const taken = doc.edges.find((e) => e.target.node === c.target && e.target.port === c.targetPort);
  if (taken) {
    if (taken.source.node === c.source && taken.source.port === c.sourcePort) {
      return { ok: false, reason: "These ports are already wired." };
    }
    return { ok: false, reason: `Input “${inp.name}” already has a wire; an input takes one wire. Delete it first.` };
  }
  if (reaches(doc, c.target, c.source)) return { ok: false, reason: "This wire would make a cycle." };
  return { ok: true };
}
