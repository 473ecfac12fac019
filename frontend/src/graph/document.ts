// The graph document, schema v1 (designer/engine/schema.py): what is saved, versioned and run. Its
// types are the API's (generated from the OpenAPI schema); here are the helpers that work on it.
import type { components } from "../api/schema.gen";

type Schemas = components["schemas"];

export type Position = Schemas["Position"];
export type PortRef = Schemas["PortRef"];
export type ParamValue = Schemas["GraphNode"]["params"][string];
export type GraphNode = Schemas["GraphNode"];
export type Execution = Schemas["Execution"];
export type GraphEdge = Schemas["GraphEdge"];
export type PipelineParameter = Schemas["PipelineParameter"];
export type GraphComment = Schemas["GraphComment"];
export type GraphDocument = Schemas["GraphDocument"];

/** A pipeline parameter as the server's canonical document spells it (every field present). */
export function canonicalParameter(p: PipelineParameter): PipelineParameter {
  return { type: p.type, default: p.default ?? null, description: p.description ?? "" };
}

/** A node's limits with only the fields that are set; undefined when none is (no `execution`). */
export function canonicalExecution(e: Execution | undefined): Execution | undefined {
  if (!e) return undefined;
  const out: Execution = {};
  if (e.timeout !== undefined && e.timeout !== null) out.timeout = e.timeout;
  if (e.retries !== undefined && e.retries !== null) out.retries = e.retries;
  return Object.keys(out).length > 0 ? out : undefined;
}

export function emptyDocument(): GraphDocument {
  return { schema_version: 1, parameters: {}, nodes: [], edges: [], comments: [] };
}

/** Fill in the optional collections so the rest of the code can rely on them. */
export function normalizeDocument(raw: Partial<GraphDocument> | null | undefined): GraphDocument {
  return {
    schema_version: 1,
    parameters: raw?.parameters ?? {},
    nodes: (raw?.nodes ?? []).map((n) => ({ ...n, params: n.params ?? {}, position: n.position ?? { x: 0, y: 0 } })),
    edges: raw?.edges ?? [],
    comments: raw?.comments ?? [],
  };
}

/** Tells this browser tab's new ids apart from other editors' (two people adding a node at the
 * same moment must not both make `n3`: one would overwrite the other in the shared document). */
export const ID_TAG = Math.random().toString(36).slice(2, 6);

/** A new id `<prefix><n>_<tag>` that no node, edge or comment of the document uses. */
export function freshId(doc: GraphDocument, prefix: string, taken: Set<string> = new Set(), tag: string = ID_TAG): string {
  const used = new Set<string>(taken);
  for (const n of doc.nodes) used.add(n.id);
  for (const e of doc.edges) used.add(e.id);
  for (const c of doc.comments) used.add(c.id);
  let i = 1;
  while (used.has(`${prefix}${i}_${tag}`)) i += 1;
  return `${prefix}${i}_${tag}`;
}
