// The server's structural diff of two versions: canvas marks (added / changed nodes, removed ones as
// ghosts) and a readable list of what changed per node, by label; pure moves left out unless asked.
import type { GraphDiff as ServerDiff, NodeChange } from "../api/types";
import type { GraphDocument, GraphNode, PortRef } from "../graph/document";
import type { DiffMark } from "../graph/mapping";

export type { ServerDiff };

/** Whether a node change is more than a move on the canvas. */
function real(change: NodeChange, moves: boolean): boolean {
  return moves || Object.keys(change).some((k) => k !== "id" && k !== "moved");
}

/** The newer document with the removed nodes put back, and a mark per node that differs. */
export function diffView(newer: GraphDocument, diff: ServerDiff, moves = false): { doc: GraphDocument; marks: Map<string, DiffMark> } {
  const marks = new Map<string, DiffMark>();
  for (const n of diff.nodes.added) marks.set(n.id, "added");
  for (const c of diff.nodes.changed) if (real(c, moves)) marks.set(c.id, "changed");
  const ghosts = diff.nodes.removed.filter((n) => !newer.nodes.some((m) => m.id === n.id));
  for (const n of ghosts) marks.set(n.id, "removed");
  return { doc: { ...newer, nodes: [...newer.nodes, ...ghosts] }, marks };
}

function show(v: unknown): string {
  return v === undefined ? "(unset)" : JSON.stringify(v);
}

/** One line per change, naming nodes by label: "Train model: param label "a" → "b"". */
export function diffLines(diff: ServerDiff, labels: ReadonlyMap<string, string>, moduleName: (ref: string) => string | undefined, moves = false): string[] {
  const gone = new Map([...diff.nodes.removed, ...diff.nodes.added].map((n) => [n.id, n]));
  const name = (id: string, node: GraphNode | undefined = gone.get(id)) => node?.label || labels.get(id) || (node && moduleName(node.module)) || id;
  const lines: string[] = [];
  for (const n of diff.nodes.added) lines.push(`added ${name(n.id, n)} (${n.module})`);
  for (const n of diff.nodes.removed) lines.push(`removed ${name(n.id, n)} (${n.module})`);
  for (const c of diff.nodes.changed) {
    if (!real(c, moves)) continue;
    const who = name(c.id);
    if (c.module) lines.push(`${who}: module ${String(c.module.from)} → ${String(c.module.to)}`);
    if (c.label) lines.push(`${who}: renamed ${show(c.label.from)} → ${show(c.label.to)}`);
    for (const [k, v] of Object.entries(c.params?.changed ?? {})) lines.push(`${who}: param ${k} ${show(v.from)} → ${show(v.to)}`);
    for (const [k, v] of Object.entries(c.params?.added ?? {})) lines.push(`${who}: param ${k} set to ${show(v)}`);
    for (const k of Object.keys(c.params?.removed ?? {})) lines.push(`${who}: param ${k} back to its default`);
    if (c.execution) lines.push(`${who}: limits ${show(c.execution.from)} → ${show(c.execution.to)}`);
    if (c.moved && moves) lines.push(`${who}: moved`);
  }
  const wire = (e: { source: PortRef; target: PortRef }) => `${name(e.source.node)}.${e.source.port} → ${name(e.target.node)}.${e.target.port}`;
  for (const e of diff.edges.added) lines.push(`wired ${wire(e)}`);
  for (const e of diff.edges.removed) lines.push(`unwired ${wire(e)}`);
  for (const [k, v] of Object.entries(diff.parameters.changed)) lines.push(`pipeline parameter ${k}: ${show(v.from)} → ${show(v.to)}`);
  for (const k of Object.keys(diff.parameters.added)) lines.push(`pipeline parameter ${k} added`);
  for (const k of Object.keys(diff.parameters.removed)) lines.push(`pipeline parameter ${k} removed`);
  return lines;
}
