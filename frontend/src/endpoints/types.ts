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

export interface EndpointVersion {
  number: number;
  graph_version: number;
  interface: EndpointInterface;
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
