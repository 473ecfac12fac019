// The graph document, schema v1 (designer/engine/schema.py): what is saved, versioned and run.

export interface Position {
  x: number;
  y: number;
}

export interface PortRef {
  node: string;
  port: string;
}

export type ParamValue = string | number | boolean | null | string[];

export interface GraphNode {
  id: string;
  module: string;
  params: Record<string, ParamValue>;
  position: Position;
  label?: string;
}

export interface GraphEdge {
  id: string;
  source: PortRef;
  target: PortRef;
}

export interface PipelineParameter {
  type: "int" | "float" | "bool" | "string";
  default?: ParamValue;
  description?: string;
}

export interface GraphComment {
  id: string;
  text: string;
  position: Position;
  width?: number;
  height?: number;
}

export interface GraphDocument {
  schema_version: 1;
  parameters: Record<string, PipelineParameter>;
  nodes: GraphNode[];
  edges: GraphEdge[];
  comments: GraphComment[];
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

/** A new id with the given prefix that no node, edge or comment of the document uses. */
export function freshId(doc: GraphDocument, prefix: string, taken: Set<string> = new Set()): string {
  const used = new Set<string>(taken);
  for (const n of doc.nodes) used.add(n.id);
  for (const e of doc.edges) used.add(e.id);
  for (const c of doc.comments) used.add(c.id);
  let i = 1;
  while (used.has(`${prefix}${i}`)) i += 1;
  return `${prefix}${i}`;
}
