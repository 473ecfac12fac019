// A node's own execution limits in the inspector: how long one attempt may take, how often it is retried.
import { useState } from "react";
import type { ModuleSpec, ParamSpec } from "../api/types";
import type { Execution, GraphNode, ParamValue } from "../graph/document";
import { ParamField } from "./ParamField";

const WEEK = 7 * 24 * 3600; // the engine's upper bound for a timeout
const MAX_RETRIES = 10;

function limitSpec(name: "timeout" | "retries", label: string, description: string, bounds: Pick<ParamSpec, "minimum" | "maximum">): ParamSpec {
  return { name: `limit-${name}`, type: name === "timeout" ? "float" : "int", label, description, required: false, nullable: false, ...bounds };
}

function seconds(s: number): string {
  return s % 60 === 0 && s >= 120 ? `${s / 60} min` : `${s} s`;
}

/** Keyed by node: each node's section starts open when it has limits of its own. */
export function ExecutionLimits({ node, spec, readOnly, onChange }: { node: GraphNode; spec: ModuleSpec | undefined; readOnly: boolean; onChange: (execution: Execution | undefined) => void }) {
  const limits = node.execution ?? {};
  const moduleTimeout = spec?.timeout ?? null;
  const set = (field: keyof Execution) => (value: ParamValue | undefined) => onChange({ ...limits, [field]: typeof value === "number" ? value : undefined });
  const custom = limits.timeout != null || limits.retries != null;
  const [open, setOpen] = useState(custom); // open from the start where the node has limits of its own
  return (
    <details className="execution-limits" open={open} onToggle={(e) => setOpen(e.currentTarget.open)} data-testid="execution-limits">
      <summary>
        Execution limits
        {custom && <span className="muted small"> · {[limits.timeout != null ? `timeout ${seconds(limits.timeout)}` : "", limits.retries != null ? `${limits.retries} retries` : ""].filter(Boolean).join(", ")}</span>}
      </summary>
      <ParamField
        nodeId={node.id}
        spec={limitSpec("timeout", "Timeout (seconds)", "How long one attempt may take before it fails. Empty: the module's default, else the run's.", { maximum: WEEK })}
        value={limits.timeout}
        placeholder={moduleTimeout !== null ? `${moduleTimeout} (module default)` : "run default"}
        columns={null}
        pipelineParams={[]}
        error={undefined}
        readOnly={readOnly}
        onChange={set("timeout")}
      />
      <ParamField
        nodeId={node.id}
        spec={limitSpec("retries", "Retries", "How often a failed or timed-out attempt is tried again. Empty: the run's default.", { minimum: 0, maximum: MAX_RETRIES })}
        value={limits.retries}
        placeholder="run default"
        columns={null}
        pipelineParams={[]}
        error={undefined}
        readOnly={readOnly}
        onChange={set("retries")}
      />
    </details>
  );
}
