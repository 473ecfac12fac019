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
export type Fire = Schemas["Fire"];
export type StatsPoint = Schemas["StatsPoint"];

/** How a real-time version scores (its scorer's info, fixed when it was deployed). */
export type Scoring = Schemas["Scoring"];
export type RowColumn = Schemas["Column"];

// Real-time monitoring (GET …/monitoring/).
export type Monitoring = Schemas["Monitoring"];
export type MonitoringWindow = Schemas["WindowEnum"];
export type VersionMonitoring = Schemas["VersionMonitoring"];
