// Shapes of the endpoints API's JSON (designer/endpoints/serializers.py) the pages read.
import type { RunStatus } from "../api/types";

export type ParameterType = "int" | "float" | "bool" | "string";

export interface InterfaceParameter {
  type: ParameterType;
  default: string | number | boolean | null;
  description: string;
  required: boolean;
}

export interface EndpointInterface {
  parameters: Record<string, InterfaceParameter>;
  inputs: { name: string; node: string; title: string; required: boolean }[];
  outputs: { name: string; node: string; port: string; title: string }[];
}

export interface RowColumn {
  name: string;
  type: "integer" | "number" | "boolean" | "string";
  nullable: boolean;
}

/** How a real-time version scores (its scorer's info, fixed when it was deployed). */
export interface Scoring {
  runtime: "onnx" | "sklearn" | "graph";
  runtime_reason: string;
  max_difference: number | null;
  tolerance: { absolute: number; relative: number };
  checked_rows: number;
  sandboxed_steps: string[];
  latency_note: string;
  input_schema: { columns: RowColumn[] };
  output_schema: { columns: RowColumn[] };
  max_rows: number;
  examples: Record<string, unknown>[];
  input_profile?: Record<string, { mean: number; std: number }>;
}

export interface EndpointVersion {
  number: number;
  graph_version: number;
  interface: EndpointInterface;
  scoring: Scoring | null;
  message: string;
  created_by: string | null;
  created_at: string;
}

export interface Endpoint {
  id: number;
  workspace: number;
  kind: string;
  name: string;
  description: string;
  enabled: boolean;
  graph: number;
  graph_name: string;
  default_version: number | null;
  /** Real-time: `percent` of calls go to `version`, the rest to the default. */
  split: { version: number; percent: number } | null;
  extra_columns: "ignore" | "refuse";
  capture_errors: boolean;
  versions: EndpointVersion[];
  invoke_url: string;
  created_by: string | null;
  created_at: string;
}

export interface EndpointKey {
  id: number;
  name: string;
  prefix: string;
  endpoint: number | null;
  endpoint_name: string | null;
  rate_per_minute: number;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  key?: string;
}

export interface Invocation {
  id: number;
  endpoint: number;
  version: number;
  run: number;
  status: RunStatus;
  caller: { kind: "key" | "user" | "schedule"; name: string };
  idempotency_key: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration: number | null;
  error: string;
}

export interface Schedule {
  id: number;
  endpoint: number;
  version: number | null;
  cron: string;
  timezone: string;
  parameters: Record<string, string | number | boolean>;
  inputs: Record<string, { dataset: string; version?: string }>;
  missed: "run_once" | "skip";
  enabled: boolean;
  next_fire_at: string | null;
  next_fires: string[];
  recent_fires: { fire_time: string; invocation: number | null; error: string }[];
}

export interface StatsPoint {
  start: string;
  calls: number;
  failures: number;
}

export interface LatencyPoint {
  start: string;
  calls: number;
  errors: number;
  rows: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface VersionMonitoring {
  number: number;
  calls: number;
  errors: number;
  rows: number;
  p50_ms: number | null;
  p99_ms: number | null;
  points: LatencyPoint[];
  /** Numeric inputs whose sampled live mean moved most from the training rows'. */
  inputs: InputDrift[];
}

export interface InputDrift {
  column: string;
  values: number;
  mean: number;
  std: number;
  training_mean: number;
  training_std: number;
  /** (live mean - training mean) / training std; null for a constant training column. */
  shift: number | null;
}

export interface ScoringError {
  version: number;
  time: string;
  code: string;
  detail: string;
  issues: { column?: string; code: string; message: string; rows?: number[] }[];
  input: string | null;
  input_truncated: boolean;
}

export type MonitoringWindow = "hour" | "day" | "week";

export interface Monitoring {
  window: MonitoringWindow;
  step_seconds: number;
  start: string;
  end: string;
  versions: VersionMonitoring[];
  last_errors: ScoringError[];
}
