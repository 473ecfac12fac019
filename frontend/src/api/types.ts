// Shapes of the REST API's JSON: generated from the OpenAPI schema into schema.gen.ts (`make types`),
// so the graph document and every resource have one definition, the server's. Run and step state
// as the WebSocket protocol carries them come from protocol.gen.ts.
import type { RunInfo, StepInfo } from "../protocol.gen";
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

export type PortSpec = Schemas["PortSpec"];
export type PortType = PortSpec["type"];
export type ParamSpec = Schemas["ParamSpec"];
export type ParamType = ParamSpec["type"];
export type ModuleSpec = Schemas["ModuleSpec"];
export type Issue = Schemas["Issue"];
export type User = Schemas["User"];
/** The signed-in user with their e-mail address (only they see it) and memberships. */
export type Me = Schemas["Me"];
export type MeUpdated = Schemas["MeUpdated"];
export type SignedOut = Schemas["SignedOut"];
export type Invitation = Schemas["Invitation"];
export type TwoFactorState = Schemas["TwoFactor"];
export type Enrolment = Schemas["Enrolment"];
export type RecoveryCodes = Schemas["RecoveryCodes"];
/** The caller's watch of a pipeline: mails when its runs fail (or recover). */
export type Watch = Schemas["Watch"];
export type WatchScope = Watch["scope"];
export type Membership = Schemas["Membership"];
export type Workspace = Schemas["Workspace"];
/** What a workspace stores (each artifact once) and its quota (null: none). */
export type Storage = Schemas["Storage"];
/** A personal API token as listed, and as created (with the raw token, shown once). */
export type ApiToken = Schemas["Token"];
export type NewApiToken = Schemas["NewToken"];
export type GraphSummary = Schemas["GraphSummary"];
export type Example = Schemas["Example"];
export type GraphDetail = Schemas["Graph"];
export type GraphVersion = Schemas["VersionSummary"];
export type Run = Schemas["Run"];
export type RunOrigin = Schemas["RunOrigin"];
export type RunMetrics = Schemas["RunMetrics"];
export type RunMetric = Schemas["RunMetric"];
export type Sweep = Schemas["Sweep"];
export type Dataset = Schemas["Dataset"];
export type DatasetVersion = Schemas["DatasetVersion"];
export type DatasetUsage = Schemas["DatasetUsage"];
export type DatasetUploaded = Schemas["DatasetUploaded"];
export type CsvDialect = Schemas["CsvDialect"];
export type GraphDocumentSchema = Schemas["GraphDocument"];
/** One entry of a workspace's activity log, and the actions it records. */
export type ActivityEntry = Schemas["ActivityEntry"];
export type ActivityAction = Schemas["ActivityActionEnum"];

export type OutputSummary = Schemas["OutputSummary"];
export type TableSummary = Schemas["TableSummary"];
export type ColumnSummary = Schemas["ColumnSummary"];
export type ObjectSummary = Schemas["ObjectSummary"];
export type OutputPreviewData = Schemas["OutputPreview"];
export type TablePage = Schemas["TablePage"];
export type CutCell = Schemas["CutCell"];
export type LogPage = Schemas["Log"];
export type GraphDiff = Schemas["Diff"];
export type NodeChange = Schemas["NodeChange"];
/** One stored output of a step: the REST API's StepOutput, which the WebSocket's step.output carries too. */
export type OutputInfo = Schemas["StepOutput"];

/** Run and step state as the WebSocket protocol defines them (generated from designer/realtime/protocol.py), with
 * each output's summary typed as the REST API's (the protocol carries it as an untyped object). */
export type RunStatus = RunInfo["status"];
export type StepState = Omit<StepInfo, "outputs"> & { outputs: Record<string, OutputInfo> };
