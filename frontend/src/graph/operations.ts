// Edits as small, serialisable operations; applying one returns the new document and its inverse.
import { canonicalExecution, canonicalParameter, type Execution, type GraphComment, type GraphDocument, type GraphEdge, type GraphNode, type ParamValue, type PipelineParameter, type Position } from "./document";

export type Operation =
  | { type: "add_node"; node: GraphNode }
  | { type: "remove_node"; id: string }
  | { type: "move_node"; id: string; position: Position }
  | { type: "set_param"; node: string; name: string; value: ParamValue | undefined }
  | { type: "set_label"; node: string; label: string | undefined }
  | { type: "set_execution"; node: string; execution: Execution | undefined }
  | { type: "add_edge"; edge: GraphEdge }
  | { type: "remove_edge"; id: string }
  | { type: "add_comment"; comment: GraphComment }
  | { type: "update_comment"; id: string; changes: Partial<Omit<GraphComment, "id">> }
  | { type: "remove_comment"; id: string }
  | { type: "set_parameter"; name: string; parameter: PipelineParameter | undefined };

export class OperationError extends Error {}

function replaceNode(doc: GraphDocument, id: string, f: (n: GraphNode) => GraphNode): GraphDocument {
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === id ? f(n) : n)) };
}

function need<T extends { id: string }>(list: T[], id: string, what: string): T {
  const found = list.find((x) => x.id === id);
  if (!found) throw new OperationError(`no ${what} ${id}`);
  return found;
}

/** Apply one operation. Throws OperationError when it does not fit the document. */
export function applyOperation(doc: GraphDocument, op: Operation): { doc: GraphDocument; inverse: Operation } {
  switch (op.type) {
    case "add_node": {
      if (doc.nodes.some((n) => n.id === op.node.id)) throw new OperationError(`node ${op.node.id} exists`);
      return { doc: { ...doc, nodes: [...doc.nodes, op.node] }, inverse: { type: "remove_node", id: op.node.id } };
    }
    case "remove_node": {
      const node = need(doc.nodes, op.id, "node");
      if (doc.edges.some((e) => e.source.node === op.id || e.target.node === op.id)) {
        throw new OperationError(`node ${op.id} still has wires`);
      }
      return { doc: { ...doc, nodes: doc.nodes.filter((n) => n.id !== op.id) }, inverse: { type: "add_node", node } };
    }
    case "move_node": {
      const node = need(doc.nodes, op.id, "node");
      return {
        doc: replaceNode(doc, op.id, (n) => ({ ...n, position: { x: op.position.x, y: op.position.y } })),
        inverse: { type: "move_node", id: op.id, position: node.position },
      };
    }
    case "set_param": {
      const node = need(doc.nodes, op.node, "node");
      const before = Object.prototype.hasOwnProperty.call(node.params, op.name) ? node.params[op.name] : undefined;
      return {
        doc: replaceNode(doc, op.node, (n) => {
          const params = { ...n.params };
          if (op.value === undefined) delete params[op.name];
          else params[op.name] = op.value;
          return { ...n, params };
        }),
        inverse: { type: "set_param", node: op.node, name: op.name, value: before },
      };
    }
    case "set_label": {
      const node = need(doc.nodes, op.node, "node");
      return {
        doc: replaceNode(doc, op.node, (n) => {
          const next = { ...n };
          if (op.label === undefined || op.label === "") delete next.label;
          else next.label = op.label;
          return next;
        }),
        inverse: { type: "set_label", node: op.node, label: node.label ?? undefined },
      };
    }
    case "set_execution": {
      const node = need(doc.nodes, op.node, "node");
      const execution = canonicalExecution(op.execution);
      return {
        doc: replaceNode(doc, op.node, (n) => {
          const next = { ...n };
          if (execution === undefined) delete next.execution;
          else next.execution = execution;
          return next;
        }),
        inverse: { type: "set_execution", node: op.node, execution: node.execution },
      };
    }
    case "add_edge": {
      if (doc.edges.some((e) => e.id === op.edge.id)) throw new OperationError(`edge ${op.edge.id} exists`);
      need(doc.nodes, op.edge.source.node, "node");
      need(doc.nodes, op.edge.target.node, "node");
      return { doc: { ...doc, edges: [...doc.edges, op.edge] }, inverse: { type: "remove_edge", id: op.edge.id } };
    }
    case "remove_edge": {
      const edge = need(doc.edges, op.id, "edge");
      return { doc: { ...doc, edges: doc.edges.filter((e) => e.id !== op.id) }, inverse: { type: "add_edge", edge } };
    }
    case "add_comment": {
      if (doc.comments.some((c) => c.id === op.comment.id)) throw new OperationError(`comment ${op.comment.id} exists`);
      return {
        doc: { ...doc, comments: [...doc.comments, op.comment] },
        inverse: { type: "remove_comment", id: op.comment.id },
      };
    }
    case "update_comment": {
      const comment = need(doc.comments, op.id, "comment");
      const before: Partial<Omit<GraphComment, "id">> = {};
      for (const key of Object.keys(op.changes) as (keyof Omit<GraphComment, "id">)[]) {
        (before as Record<string, unknown>)[key] = comment[key];
      }
      return {
        doc: { ...doc, comments: doc.comments.map((c) => (c.id === op.id ? { ...c, ...op.changes } : c)) },
        inverse: { type: "update_comment", id: op.id, changes: before },
      };
    }
    case "remove_comment": {
      const comment = need(doc.comments, op.id, "comment");
      return {
        doc: { ...doc, comments: doc.comments.filter((c) => c.id !== op.id) },
        inverse: { type: "add_comment", comment },
      };
    }
    case "set_parameter": {
      const before = doc.parameters[op.name];
      const parameters = { ...doc.parameters };
      if (op.parameter === undefined) delete parameters[op.name];
      else parameters[op.name] = canonicalParameter(op.parameter);
      return { doc: { ...doc, parameters }, inverse: { type: "set_parameter", name: op.name, parameter: before } };
    }
  }
}

/** Apply operations in order; returns the inverses in the order that undoes them. */
export function applyOperations(doc: GraphDocument, ops: readonly Operation[]): { doc: GraphDocument; inverse: Operation[] } {
  let current = doc;
  const inverse: Operation[] = [];
  for (const op of ops) {
    const result = applyOperation(current, op);
    current = result.doc;
    inverse.unshift(result.inverse);
  }
  return { doc: current, inverse };
}

/** Operations that delete nodes, edges and comments, wires touching deleted nodes first. */
export function deleteOperations(
  doc: GraphDocument,
  sel: { nodes?: Iterable<string>; edges?: Iterable<string>; comments?: Iterable<string> },
): Operation[] {
  const nodes = new Set(sel.nodes ?? []);
  const edges = new Set(sel.edges ?? []);
  for (const e of doc.edges) if (nodes.has(e.source.node) || nodes.has(e.target.node)) edges.add(e.id);
  const ops: Operation[] = [];
  for (const e of doc.edges) if (edges.has(e.id)) ops.push({ type: "remove_edge", id: e.id });
  for (const n of doc.nodes) if (nodes.has(n.id)) ops.push({ type: "remove_node", id: n.id });
  for (const id of sel.comments ?? []) {
    if (doc.comments.some((c) => c.id === id)) ops.push({ type: "remove_comment", id });
  }
  return ops;
}
