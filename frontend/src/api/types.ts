// Shapes of the REST API's JSON: generated from the OpenAPI schema into schema.gen.ts (`make types`),
// so the graph document and every resource have one definition, the server's. Run and step state
// as the WebSocket protocol carries them come from protocol.gen.ts.
import type { OutputInfo as ProtocolOutputInfo, RunInfo, StepInfo } from "../protocol.gen";
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

export type PortSpec = Schemas["PortSpec"];
export type PortType = PortSpec["type"];
export type ParamSpec = Schemas["ParamSpec"];
export type ParamType = ParamSpec["type"];
export type ModuleSpec = Schemas["ModuleSpec"];
export type Issue = Schemas["Issue"];
export type User = Schemas["User"];
export type Membership = Schemas["Membership"];
export type Workspace = Schemas["Workspace"];
export type GraphSummary = Schemas["GraphSummary"];
export type GraphDetail = Schemas["Graph"];
export type GraphVersion = Schemas["VersionSummary"];
export type Run = Schemas["Run"];
export type Dataset = Schemas["Dataset"];
export type DatasetVersion = Schemas["DatasetVersion"];
export type DatasetUsage = Schemas["DatasetUsage"];
export type GraphDocumentSchema = Schemas["GraphDocument"];

/** Run and step state as the WebSocket protocol defines them (generated from designer/realtime/protocol.py). */
export type RunStatus = RunInfo["status"];
export type StepState = StepInfo;
export type OutputInfo = ProtocolOutputInfo;

/** One column in a table output's summary (the engine's summarize_frame; free-form JSON in the API). */
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
