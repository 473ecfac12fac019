// Column names offered for a node's column params: its upstream tables' columns from the last run
// when it produced them, else inferred from the graph before anything ran (POST …/columns/).
// Only table inputs count (a model or transform wired in has no columns to offer). A column param
// naming a column its input does not have is an issue of the node, before anything runs.
import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { components } from "../api/schema.gen";
import type { Issue, StepState } from "../api/types";
import type { Catalogue } from "../graph/catalogue";
import type { GraphDocument, GraphNode } from "../graph/document";

type NodeColumns = components["schemas"]["NodeColumns"];
/** Node id → output port → its columns, or null where only running the upstream will tell. */
export type Inferred = NodeColumns["nodes"];

export interface UpstreamColumns {
  /** The names, or null when an upstream table's columns are not known yet. */
  columns: string[] | null;
  /** The upstream node to run to list them, when they are not known. */
  unknownFrom: string | null;
}

/** Every node's inferred output columns, asked for shortly after each change of the document. */
export function useInferredColumns(graphId: number, doc: GraphDocument): Inferred {
  const [inferred, setInferred] = useState<Inferred>({});
  useEffect(() => {
    let current = true;
    const t = window.setTimeout(() => {
      api
        .post<NodeColumns>(`/api/graphs/${graphId}/columns/`, doc)
        .then((r) => current && setInferred(r.nodes))
        .catch(() => undefined);
    }, 300);
    return () => {
      current = false;
      window.clearTimeout(t);
    };
  }, [doc, graphId]);
  return inferred;
}

/** What the columns of a graph's nodes' inputs are read from: its wires by target, each node's module. */
interface Wiring {
  incoming: Map<string, GraphDocument["edges"]>;
  modules: Map<string, string>;
}

function wiringOf(doc: GraphDocument): Wiring {
  const incoming = new Map<string, GraphDocument["edges"]>();
  for (const e of doc.edges) {
    const wires = incoming.get(e.target.node) ?? [];
    wires.push(e);
    incoming.set(e.target.node, wires);
  }
  return { incoming, modules: new Map(doc.nodes.map((n) => [n.id, n.module])) };
}

function inputColumns(wiring: Wiring, node: GraphNode, steps: ReadonlyMap<string, StepState>, inferred: Inferred, catalogue: Catalogue): UpstreamColumns {
  const names = new Set<string>();
  let any = false;
  for (const e of wiring.incoming.get(node.id) ?? []) {
    if (catalogue.input(node.module, e.target.port)?.type !== "DataFrame") continue;
    const step = steps.get(e.source.node);
    const summary = step && step.module === wiring.modules.get(e.source.node) ? step.outputs[e.source.port]?.summary : undefined;
    const ran = summary && "columns" in summary ? summary.columns : undefined;
    const known = (ran ?? inferred[e.source.node]?.[e.source.port])?.map((c) => c.name);
    if (!known) return { columns: null, unknownFrom: e.source.node };
    any = true;
    for (const name of known) names.add(name);
  }
  return { columns: any ? [...names] : null, unknownFrom: null };
}

/** The columns a node's table inputs carry: from the run's steps where they ran, else inferred. */
export function upstreamColumns(
  doc: GraphDocument,
  node: GraphNode | undefined,
  steps: ReadonlyMap<string, StepState>,
  inferred: Inferred,
  catalogue: Catalogue,
): UpstreamColumns {
  return node ? inputColumns(wiringOf(doc), node, steps, inferred, catalogue) : { columns: null, unknownFrom: null };
}

/** A node's column and columns params that name a column its table inputs do not have (where those
 * inputs' columns are known), as issues of the node and param. */
export function columnIssues(doc: GraphDocument, steps: ReadonlyMap<string, StepState>, inferred: Inferred, catalogue: Catalogue): Issue[] {
  const issues: Issue[] = [];
  const wiring = wiringOf(doc);
  for (const node of doc.nodes) {
    const params = (catalogue.get(node.module)?.params ?? []).filter((p) => p.type === "column" || p.type === "columns");
    const named = params.map((p) => [p.name, node.params[p.name]] as const).filter(([, v]) => (typeof v === "string" && v !== "" && !v.startsWith("$")) || Array.isArray(v));
    if (named.length === 0) continue;
    const { columns } = inputColumns(wiring, node, steps, inferred, catalogue);
    if (!columns) continue;
    const known = new Set(columns);
    for (const [param, value] of named) {
      const missing = (Array.isArray(value) ? value : [value]).filter((c): c is string => typeof c === "string" && !known.has(c));
      if (missing.length > 0) {
        const list = missing.map((c) => `“${c}”`).join(", ");
        const what = missing.length > 1 ? "are not columns" : "is not a column";
        issues.push({ code: "unknown_column", message: `param \`${param}\`: ${list} ${what} of its input`, node: node.id, param });
      }
    }
  }
  return issues;
}
