// Shapes of the endpoints API's JSON the pages read: generated from the OpenAPI schema into
// ../api/schema.gen.ts (`make types`), so they are the server's (designer/endpoints/serializers.py).
import type { components } from "../api/schema.gen";

type Schemas = components["schemas"];

export type EndpointInterface = Schemas["Interface"];
export type InterfaceParameter = Schemas["InterfaceParameter"];
export type EndpointVersion = Schemas["EndpointVersion"];
export type Endpoint = Schemas["Endpoint"];
/** A key as listed; `key` (the raw key) only in the answer that created it. */
export type EndpointKey = Schemas["Key"] & { key?: string };
export type Invocation = Schemas["Invocation"];
export type Schedule = Schemas["Schedule"];
export type StatsPoint = Schemas["StatsPoint"];

// Real-time monitoring (free-form JSON in the schema for now).
/** How a real-time version scores (its scorer's info, fixed when it was deployed). */
export type Scoring = Schemas["Scoring"];
export type RowColumn = Schemas["Column"];

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
