// The one place that maps the graph document to React Flow nodes and edges, and React Flow edits back.
import { Position, type Connection, type Edge, type Node, type NodeChange, type NodeHandle } from "@xyflow/react";
import type { Issue, ModuleSpec, PortType, StepState } from "../api/types";
import type { Catalogue } from "./catalogue";
import type { ConnectionAttempt } from "./connection";
import type { GraphComment, GraphDocument, GraphNode } from "./document";
import type { Operation } from "./operations";
import type { Staleness } from "./staleness";
import { moduleNames } from "./wireChoices";

export type DiffMark = "added" | "changed" | "removed";

/** Someone else who has a node selected, or open in their inspector. */
export interface NodePresence {
  name: string;
  color: string;
  editing: boolean;
}

export interface ModuleNodeData extends Record<string, unknown> {
  node: GraphNode;
  spec: ModuleSpec | undefined;
  issues: readonly Issue[];
  step: StepState | undefined;
  diff: DiffMark | undefined;
  /** The step's result is out of date: the node, or one upstream of it, was edited since the run. */
  stale: Staleness | undefined;
  readOnly: boolean;
  others: readonly NodePresence[] | undefined;
}

export interface CommentNodeData extends Record<string, unknown> {
  comment: GraphComment;
  readOnly: boolean;
}

export type ModuleFlowNode = Node<ModuleNodeData, "module">;
export type CommentFlowNode = Node<CommentNodeData, "comment">;
export type FlowNode = ModuleFlowNode | CommentFlowNode;

export interface Decorations {
  catalogue: Catalogue;
  issuesByNode: ReadonlyMap<string, readonly Issue[]>;
  steps: ReadonlyMap<string, StepState>;
  diff: ReadonlyMap<string, DiffMark>;
  /** Nodes edited since the shown run, and those downstream of them (the editor only). */
  stale?: ReadonlyMap<string, Staleness>;
  selected: ReadonlySet<string>;
  /** Other people's selections and inspectors, by node id. */
  presence: ReadonlyMap<string, readonly NodePresence[]>;
  readOnly: boolean;
  /** Give never-measured module nodes an estimated size and handle places (large graphs): React
   * Flow then renders only the visible ones instead of every node once to measure it. */
  estimateSizes: boolean;
}

const COMMENT_PREFIX = "comment:";
const NO_ISSUES: readonly Issue[] = [];

export function commentFlowId(id: string): string {
  return COMMENT_PREFIX + id;
}

export function isCommentFlowId(id: string): boolean {
  return id.startsWith(COMMENT_PREFIX);
}

export function commentIdOf(flowId: string): string {
  return flowId.slice(COMMENT_PREFIX.length);
}

/** Width of a module node on the canvas (ModuleNode renders at this width). */
export const NODE_WIDTH = 220;
const HANDLE = 11;

/** The size and handle places ModuleNode renders (inputs on the top edge, outputs on the bottom). */
export function estimatedGeometry(spec: ModuleSpec | undefined): { measured: { width: number; height: number }; handles: NodeHandle[] } {
  const inputs = spec?.inputs ?? [];
  const outputs = spec?.outputs ?? [];
  const height = 65 + (inputs.length > 0 ? 12 : 0) + (outputs.length > 0 ? 12 : 0);
  const x = (i: number, n: number) => ((i + 0.5) / n) * NODE_WIDTH - HANDLE / 2;
  const handles: NodeHandle[] = [
    ...inputs.map((p, i) => ({ id: p.name, type: "target" as const, position: Position.Top, x: x(i, inputs.length), y: -5, width: HANDLE, height: HANDLE })),
    ...outputs.map((p, i) => ({ id: p.name, type: "source" as const, position: Position.Bottom, x: x(i, outputs.length), y: height - 6, width: HANDLE, height: HANDLE })),
  ];
  // Given as `measured` so React Flow counts the node as initialized (fitView waits for that);
  // it measures the real element, and replaces both, once the node scrolls into view.
  return { measured: { width: NODE_WIDTH, height }, handles };
}

/** Previous flow nodes by id, so unchanged nodes keep their identity and memoized components skip rendering. */
export type FlowNodeCache = Map<string, FlowNode>;

function sameModuleData(a: ModuleNodeData, b: ModuleNodeData): boolean {
  return (
    a.node === b.node &&
    a.spec === b.spec &&
    a.issues === b.issues &&
    a.step === b.step &&
    a.diff === b.diff &&
    a.stale === b.stale &&
    a.readOnly === b.readOnly &&
    a.others === b.others
  );
}

/** Document → React Flow nodes (modules, then comments underneath them). */
export function toFlowNodes(doc: GraphDocument, deco: Decorations, cache: FlowNodeCache = new Map()): FlowNode[] {
  const out: FlowNode[] = [];
  const seen = new Set<string>();
  for (const c of doc.comments) {
    const id = commentFlowId(c.id);
    seen.add(id);
    const prev = cache.get(id) as CommentFlowNode | undefined;
    const selected = deco.selected.has(id);
    if (prev && prev.data.comment === c && prev.selected === selected && prev.data.readOnly === deco.readOnly) {
      out.push(prev);
      continue;
    }
    const node: CommentFlowNode = {
      id,
      type: "comment",
      position: c.position,
      data: { comment: c, readOnly: deco.readOnly },
      selected,
      zIndex: -1,
      width: c.width ?? 220,
      height: c.height ?? 120,
      draggable: !deco.readOnly,
    };
    cache.set(id, node);
    out.push(node);
  }
  for (const n of doc.nodes) {
    seen.add(n.id);
    const ran = deco.steps.get(n.id);
    // A run's step belongs to this node only while the node still runs the same module.
    const step = ran && ran.module === n.module ? ran : undefined;
    const data: ModuleNodeData = {
      node: n,
      spec: deco.catalogue.get(n.module),
      issues: deco.issuesByNode.get(n.id) ?? NO_ISSUES,
      step,
      diff: deco.diff.get(n.id),
      stale: step && deco.stale?.get(n.id),
      readOnly: deco.readOnly,
      others: deco.presence.get(n.id),
    };
    const selected = deco.selected.has(n.id);
    const prev = cache.get(n.id) as ModuleFlowNode | undefined;
    if (prev && prev.type === "module" && sameModuleData(prev.data, data) && prev.selected === selected) {
      out.push(prev);
      continue;
    }
    const node: ModuleFlowNode = {
      id: n.id,
      type: "module",
      position: n.position,
      data,
      selected,
      draggable: !deco.readOnly,
      connectable: !deco.readOnly,
      // Keep the measured size across data changes so React Flow keeps its handle bounds.
      ...(prev?.measured ? { measured: prev.measured } : deco.estimateSizes ? estimatedGeometry(data.spec) : {}),
    };
    cache.set(n.id, node);
    out.push(node);
  }
  for (const id of [...cache.keys()]) if (!seen.has(id)) cache.delete(id);
  return out;
}

export interface WireData extends Record<string, unknown> {
  type: PortType | undefined;
}

/** Document → React Flow edges, each carrying the type of what flows along it; `dropTarget` is the
 * wire a module being dragged would go into. */
export function toFlowEdges(doc: GraphDocument, catalogue: Catalogue, selected: ReadonlySet<string>, dropTarget: string | null = null): Edge<WireData>[] {
  const modules = new Map(doc.nodes.map((n) => [n.id, n.module]));
  const names = moduleNames(doc, catalogue);
  return doc.edges.map((e) => {
    const module = modules.get(e.source.node);
    const type = module ? catalogue.output(module, e.source.port)?.type : undefined;
    return {
      id: e.id,
      source: e.source.node,
      sourceHandle: e.source.port,
      target: e.target.node,
      targetHandle: e.target.port,
      data: { type },
      className: `wire wire-${(type ?? "unknown").toLowerCase()}${e.id === dropTarget ? " wire-drop-target" : ""}`,
      selected: selected.has(e.id),
      ariaLabel: `Wire ${names.get(e.source.node) ?? e.source.node} · ${e.source.port} → ${names.get(e.target.node) ?? e.target.node} · ${e.target.port}`,
    };
  });
}

/** A React Flow connection → the ports it joins, or null when a handle is missing. */
export function connectionAttempt(c: Connection): ConnectionAttempt | null {
  if (!c.source || !c.target || !c.sourceHandle || !c.targetHandle) return null;
  return { source: c.source, sourcePort: c.sourceHandle, target: c.target, targetPort: c.targetHandle };
}

/** Finished drags among React Flow node changes → move operations (positions rounded to whole pixels). */
export function moveOperations(doc: GraphDocument, positions: ReadonlyMap<string, { x: number; y: number }>): Operation[] {
  const ops: Operation[] = [];
  for (const [flowId, p] of positions) {
    const position = { x: Math.round(p.x), y: Math.round(p.y) };
    if (isCommentFlowId(flowId)) {
      const c = doc.comments.find((x) => x.id === commentIdOf(flowId));
      if (c && (c.position.x !== position.x || c.position.y !== position.y)) {
        ops.push({ type: "update_comment", id: c.id, changes: { position } });
      }
    } else {
      const n = doc.nodes.find((x) => x.id === flowId);
      if (n && (n.position.x !== position.x || n.position.y !== position.y)) {
        ops.push({ type: "move_node", id: n.id, position });
      }
    }
  }
  return ops;
}

/** Position changes of a drag that just ended (dragging === false), by flow id. */
export function finishedDrags(changes: readonly NodeChange[]): Map<string, { x: number; y: number }> {
  const done = new Map<string, { x: number; y: number }>();
  for (const c of changes) {
    if (c.type === "position" && c.dragging === false && c.position) done.set(c.id, c.position);
  }
  return done;
}

/** Issues grouped by the node they name; graph-level issues under "". */
export function issuesByNode(issues: readonly Issue[]): Map<string, Issue[]> {
  const map = new Map<string, Issue[]>();
  for (const i of issues) {
    const key = i.node ?? "";
    const list = map.get(key) ?? [];
    list.push(i);
    map.set(key, list);
  }
  return map;
}
