// The graph document as a shared Y document: the same mapping as designer/graphs/shared_doc.py.
//
// Root maps, keyed by id (parameters by name):
//   nodes:      id → Y.Map {module, params: Y.Map name → value (a code param: Y.Text), position {x, y}, label?, execution?, order}
//   edges:      id → {source, target, order}                 (one value: a wire never changes)
//   comments:   id → Y.Map {text: Y.Text, position, width?, height?, order}
//   parameters: name → {type, default, description}
// One key per field: concurrent edits of different fields of a node both survive; the last writer
// wins per field (`execution` {timeout?, retries?} is one value, as `position`). `order` keeps the
// document's order (ties by id). Text people type together (comment text, code params) is a
// Y.Text, merged character by character; the document reads it as a string.
import * as Y from "yjs";
import { canonicalExecution, canonicalParameter, type Execution, type GraphComment, type GraphDocument, type GraphEdge, type GraphNode, type ParamValue, type PipelineParameter, type Position } from "./document";
import type { Operation } from "./operations";
import { writeText } from "./text";

/** The names of a module's code params (shared text), from the catalogue. */
export type TextParams = (module: string) => ReadonlySet<string>;

export const NO_TEXT_PARAMS: TextParams = () => new Set();

/** A Y value as the document's JSON: shared text reads as its string. */
const plain = (value: unknown): unknown => (value instanceof Y.Text ? value.toString() : value);

interface StoredEdge {
  source: GraphEdge["source"];
  target: GraphEdge["target"];
  order: number;
}

export interface SharedRoots {
  nodes: Y.Map<Y.Map<unknown>>;
  edges: Y.Map<StoredEdge>;
  comments: Y.Map<Y.Map<unknown>>;
  parameters: Y.Map<PipelineParameter>;
}

export function sharedRoots(doc: Y.Doc): SharedRoots {
  return {
    nodes: doc.getMap("nodes"),
    edges: doc.getMap("edges"),
    comments: doc.getMap("comments"),
    parameters: doc.getMap("parameters"),
  };
}

const order = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

function inOrder<T extends { id: string }>(items: { item: T; order: number }[]): T[] {
  items.sort((a, b) => a.order - b.order || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0));
  return items.map((x) => x.item);
}

/** Reads the document out of a Y document. Entries whose Y data did not change since the last
 * read keep their objects, so memoized canvas nodes skip rendering (see mapping.ts). */
export class DocumentReader {
  private readonly nodes = new WeakMap<Y.Map<unknown>, GraphNode>();
  private readonly comments = new WeakMap<Y.Map<unknown>, GraphComment>();

  /** Forget the entries a transaction changed. */
  changed(types: Iterable<Y.AbstractType<Y.YEvent<any>>>): void {
    for (const type of types) {
      if (type instanceof Y.Map) {
        this.nodes.delete(type);
        this.comments.delete(type);
      }
    }
  }

  read(doc: Y.Doc): GraphDocument {
    const roots = sharedRoots(doc);
    const nodes: { item: GraphNode; order: number }[] = [];
    roots.nodes.forEach((entry, id) => nodes.push({ item: this.node(id, entry), order: order(entry.get("order")) }));
    const ids = new Set(nodes.map((n) => n.item.id));
    const edges: { item: GraphEdge; order: number }[] = [];
    roots.edges.forEach((stored, id) => {
      // A wire whose node is gone is left out (one deleted the node while another wired it).
      if (ids.has(stored.source?.node) && ids.has(stored.target?.node)) {
        edges.push({ item: { id, source: stored.source, target: stored.target }, order: order(stored.order) });
      }
    });
    const comments: { item: GraphComment; order: number }[] = [];
    roots.comments.forEach((entry, id) => comments.push({ item: this.comment(id, entry), order: order(entry.get("order")) }));
    const parameters: Record<string, PipelineParameter> = {};
    for (const name of [...roots.parameters.keys()].sort()) parameters[name] = roots.parameters.get(name) as PipelineParameter;
    return { schema_version: 1, parameters, nodes: inOrder(nodes), edges: inOrder(edges), comments: inOrder(comments) };
  }

  private node(id: string, entry: Y.Map<unknown>): GraphNode {
    const cached = this.nodes.get(entry);
    if (cached) return cached;
    const params: Record<string, ParamValue> = {};
    const stored = entry.get("params");
    if (stored instanceof Y.Map) for (const name of [...stored.keys()].sort()) params[name] = plain(stored.get(name)) as ParamValue;
    const node: GraphNode = { id, module: entry.get("module") as string, params, position: entry.get("position") as Position };
    const label = entry.get("label");
    if (typeof label === "string") node.label = label;
    const execution = entry.get("execution");
    if (typeof execution === "object" && execution !== null) node.execution = execution as Execution;
    this.nodes.set(entry, node);
    return node;
  }

  private comment(id: string, entry: Y.Map<unknown>): GraphComment {
    const cached = this.comments.get(entry);
    if (cached) return cached;
    const comment: GraphComment = { id, text: plain(entry.get("text")) as string, position: entry.get("position") as Position };
    for (const key of ["width", "height"] as const) {
      const value = entry.get(key);
      if (typeof value === "number") comment[key] = value;
    }
    this.comments.set(entry, comment);
    return comment;
  }
}

/** Where a shared text lives: a node's code param, or a comment's text. */
export type TextPlace = { node: string; param: string } | { comment: string };

/** The Y.Text at a place, or null (gone, or a param that holds no shared text yet). */
export function sharedText(doc: Y.Doc, at: TextPlace): Y.Text | null {
  const roots = sharedRoots(doc);
  const params = "node" in at ? roots.nodes.get(at.node)?.get("params") : undefined;
  const value = "comment" in at ? roots.comments.get(at.comment)?.get("text") : params instanceof Y.Map ? params.get(at.param) : undefined;
  return value instanceof Y.Text ? value : null;
}

function nextOrder(root: Y.Map<Y.Map<unknown>> | Y.Map<StoredEdge>): number {
  let max = -1;
  root.forEach((entry: Y.Map<unknown> | StoredEdge) => {
    max = Math.max(max, order(entry instanceof Y.Map ? entry.get("order") : entry.order));
  });
  return max + 1;
}

function entryMap(fields: Record<string, unknown>): Y.Map<unknown> {
  return new Y.Map(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function setOrDelete(map: Y.Map<unknown>, key: string, value: unknown): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}

/** Texts this editor made where there was none yet (an empty code param's first keystrokes),
 * with what they last held: another editor may make one for the same place at the same moment. */
const madeHere = new WeakMap<Y.Text, string>();

/** A shared text field: written into its Y.Text by the smallest edit (made when missing). */
function setText(map: Y.Map<unknown>, key: string, value: string): void {
  const current = map.get(key);
  if (current instanceof Y.Text) writeText(current, value);
  else map.set(key, madeText(value));
}

function madeText(value: string): Y.Text {
  const text = new Y.Text(value);
  madeHere.set(text, value);
  text.observe(() => madeHere.set(text, text.toString()));
  return text;
}

/** Observer of the node and comment maps: when two editors made the same missing text at once,
 * one text wins and the other is deleted with what was typed into it; the editor whose text lost
 * (the only one that sees its text replaced) appends that typing to the winner. */
export function keepLostTyping(events: Array<Y.YEvent<Y.AbstractType<unknown>>>, transaction: Y.Transaction, origin: unknown): void {
  if (transaction.local) return;
  const lost: Array<[Y.Text, string]> = [];
  for (const event of events) {
    const target = event.target;
    if (!(target instanceof Y.Map)) continue;
    event.changes.keys.forEach((change, key) => {
      const typed = change.action === "update" && change.oldValue instanceof Y.Text ? madeHere.get(change.oldValue) : undefined;
      const winner: unknown = target.get(key);
      if (typed && winner instanceof Y.Text && winner.toString() !== typed) lost.push([winner, typed]);
    });
  }
  if (lost.length === 0) return;
  transaction.doc.transact(() => {
    for (const [winner, typed] of lost) winner.insert(winner.length, typed);
  }, origin);
}

/** Apply one edit operation (already checked against the document) to the Y document's roots;
 * `textParams` names the code params, which are made Y.Text with the node. */
export function applyToShared(roots: SharedRoots, op: Operation, textParams: TextParams = NO_TEXT_PARAMS): void {
  switch (op.type) {
    case "add_node": {
      const { id, params, label, module, position, execution } = op.node;
      const texts = textParams(module);
      const values = Object.entries(params).map(([k, v]): [string, unknown] => [k, texts.has(k) && typeof v === "string" ? new Y.Text(v) : v]);
      const fields = { module, params: new Y.Map(values), position, label: label || undefined, execution: canonicalExecution(execution), order: nextOrder(roots.nodes) };
      roots.nodes.set(id, entryMap(fields));
      return;
    }
    case "remove_node":
      roots.nodes.delete(op.id);
      return;
    case "move_node":
      roots.nodes.get(op.id)?.set("position", { x: op.position.x, y: op.position.y });
      return;
    case "set_param": {
      const node = roots.nodes.get(op.node);
      const params = node?.get("params");
      if (!(params instanceof Y.Map)) return;
      if (typeof op.value === "string" && (params.get(op.name) instanceof Y.Text || textParams(node?.get("module") as string).has(op.name))) setText(params, op.name, op.value);
      else setOrDelete(params, op.name, op.value);
      return;
    }
    case "set_label": {
      const node = roots.nodes.get(op.node);
      if (node) setOrDelete(node, "label", op.label || undefined);
      return;
    }
    case "set_execution": {
      const node = roots.nodes.get(op.node);
      if (node) setOrDelete(node, "execution", canonicalExecution(op.execution));
      return;
    }
    case "add_edge":
      roots.edges.set(op.edge.id, { source: op.edge.source, target: op.edge.target, order: nextOrder(roots.edges) });
      return;
    case "remove_edge":
      roots.edges.delete(op.id);
      return;
    case "add_comment": {
      const { id, text, ...fields } = op.comment;
      roots.comments.set(id, entryMap({ ...fields, text: new Y.Text(text), order: nextOrder(roots.comments) }));
      return;
    }
    case "update_comment": {
      const comment = roots.comments.get(op.id);
      if (!comment) return;
      for (const [key, value] of Object.entries(op.changes)) {
        if (key === "text" && typeof value === "string") setText(comment, key, value);
        else setOrDelete(comment, key, value);
      }
      return;
    }
    case "remove_comment":
      roots.comments.delete(op.id);
      return;
    case "set_parameter":
      if (op.parameter === undefined) roots.parameters.delete(op.name);
      else roots.parameters.set(op.name, canonicalParameter(op.parameter));
      return;
  }
}
