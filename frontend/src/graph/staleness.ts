// Which results of a run the draft has moved away from: nodes edited since (module, params or
// incoming wires), and everything downstream of them. Labels, positions and limits change no result.
import type { GraphDocument, GraphNode } from "./document";

/** Why a node's last result is out of date: it was edited, or something upstream of it was. */
export type Staleness = "edited" | "upstream";

/** Two JSON values are equal, whatever the order of their objects' keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  const ka = Object.keys(a);
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.length === Object.keys(b).length && ka.every((k) => k in rb && sameJson(ra[k], rb[k]));
}

/** Each node's incoming wires as "port<-node.port", sorted: what it reads, whatever the wires' ids. */
function inputsByNode(doc: GraphDocument): Map<string, string> {
  const inputs = new Map<string, string[]>();
  for (const e of doc.edges) {
    const list = inputs.get(e.target.node) ?? [];
    list.push(`${e.target.port}<-${e.source.node}.${e.source.port}`);
    inputs.set(e.target.node, list);
  }
  return new Map([...inputs].map(([node, list]) => [node, list.sort().join("|")]));
}

function edited(then: GraphNode, now: GraphNode, inputsThen: string, inputsNow: string): boolean {
  return then.module !== now.module || inputsThen !== inputsNow || !sameJson(then.params, now.params);
}

/** The draft's nodes whose result in the run of `ran` (the run's graph version) would differ now.
 * Nodes the run did not have are left out: they have no result to be out of date. */
export function outOfDate(ran: GraphDocument, draft: GraphDocument): Map<string, Staleness> {
  const before = new Map(ran.nodes.map((n) => [n.id, n]));
  const inputsThen = inputsByNode(ran);
  const inputsNow = inputsByNode(draft);
  const marks = new Map<string, Staleness>();
  for (const n of draft.nodes) {
    const then = before.get(n.id);
    if (then && edited(then, n, inputsThen.get(n.id) ?? "", inputsNow.get(n.id) ?? "")) marks.set(n.id, "edited");
  }
  const downstream = new Map<string, string[]>();
  for (const e of draft.edges) downstream.set(e.source.node, [...(downstream.get(e.source.node) ?? []), e.target.node]);
  const queue = [...marks.keys()];
  const seen = new Set(queue);
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    for (const next of downstream.get(id) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      if (before.has(next)) marks.set(next, "upstream");
      queue.push(next);
    }
  }
  return marks;
}
