// Shapes of the REST API's JSON (designer/*/serializers.py) the front end reads.
import type { GraphDocument, ParamValue } from "../graph/document";
import type { OutputInfo as ProtocolOutputInfo, RunInfo, StepInfo } from "../protocol.gen";

export type PortType = "DataFrame" | "Model" | "Transform" | "Metrics" | "Any";
export type ParamType = "int" | "float" | "bool" | "string" | "enum" | "columns" | "code";

export interface PortSpec {
  name: string;
  type: PortType;
  description: string;
  optional: boolean;
}

export interface ParamSpec {
  name: string;
  type: ParamType;
  label: string;
  description: string;
  required: boolean;
  nullable: boolean;
  default?: ParamValue;
  minimum?: number;
  maximum?: number;
  choices?: string[];
  language?: string;
}

export interface ModuleSpec {
  ref: string;
  name: string;
  version: number;
  display_name: string;
  category: string;
  description: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
  params: ParamSpec[];
  environment: { image: string | null; requirements: string[] };
  deterministic: boolean;
}

export interface Issue {
  code: string;
  message: string;
  node?: string | null;
  port?: string | null;
  param?: string | null;
  edge?: string | null;
}

export interface User {
  id: number;
  username: string;
  email?: string;
}

export interface Membership {
  user: User;
  role: string;
  created_at?: string;
}

export interface Workspace {
  id: number;
  name: string;
  role?: string;
  created_at?: string;
}

export interface GraphSummary {
  id: number;
  name: string;
  description: string;
  workspace: number;
  updated_at?: string;
  created_at?: string;
  latest_version?: number | null;
}

export interface GraphDetail extends GraphSummary {
  draft: GraphDocument;
  etag: string;
  issues?: Issue[];
}

export interface GraphVersion {
  number: number;
  message: string;
  author?: string | User | null;
  created_at: string;
  document?: GraphDocument;
}

/** Run and step state as the WebSocket protocol defines them (generated from designer/realtime/protocol.py). */
export type RunStatus = RunInfo["status"];
export type StepState = StepInfo;
export type OutputInfo = ProtocolOutputInfo;

export interface ColumnSummary {
  name: string;
  dtype?: string;
  nulls?: number;
  distinct?: number | null;
  mean?: number | null;
  min?: number | string | null;
  max?: number | string | null;
  histogram?: { edges: number[]; counts: number[] } | null;
}

export interface Run {
  id: number;
  workspace: number;
  graph: number;
  version: number | null;
  status: RunStatus;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  parameters: Record<string, ParamValue>;
  created_by?: string | User | null;
  steps?: StepState[];
  duration?: number | null;
  metrics?: Record<string, unknown>;
}

export interface Dataset {
  id: number;
  name: string;
  description?: string;
  created_at?: string;
  latest?: DatasetVersion | null;
  versions?: DatasetVersion[];
}

export interface DatasetVersion {
  digest: string;
  size: number;
  rows: number;
  columns: unknown[];
  original_filename?: string;
  created_at?: string;
}

