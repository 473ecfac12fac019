// A module on the canvas: typed ports, status with progress and attempts, why it ran, whether that
// result is out of date, and its issues.
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo, useContext } from "react";
import type { PortSpec, StepState } from "../api/types";
import type { ModuleFlowNode } from "../graph/mapping";
import { useReadableReason } from "../runs/reasons";
import { EditorActions } from "./actions";

const STATUS_LABEL: Record<string, string> = {
  pending: "Waiting",
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  reused: "Reused",
  canceled: "Canceled",
  upstream_failed: "Upstream failed",
  retrying: "Retrying",
  skipped: "Skipped",
};

const STALE_TITLE = {
  edited: "Edited since this run: the next run computes it again",
  upstream: "A module upstream was edited since this run: this result may change on the next run",
};

function portClass(p: PortSpec): string {
  return `port port-${p.type.toLowerCase()}`;
}

/** Ports sit evenly along the top (inputs) or bottom (outputs) edge. */
function spread(i: number, n: number): React.CSSProperties {
  return { left: `${((i + 0.5) / n) * 100}%` };
}

function EyeIcon() {
  return (
    <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true">
      <path d="M8 3C4.4 3 1.7 5.4.6 8c1.1 2.6 3.8 5 7.4 5s6.3-2.4 7.4-5C14.3 5.4 11.6 3 8 3zm0 8.2A3.2 3.2 0 1 1 8 4.8a3.2 3.2 0 0 1 0 6.4zM8 6.4a1.6 1.6 0 1 0 0 3.2 1.6 1.6 0 0 0 0-3.2z" fill="currentColor" />
    </svg>
  );
}

function Progress({ step }: { step: StepState }) {
  if (step.status !== "running" && step.status !== "retrying") return null;
  const p = step.progress;
  const pct = p && p.max > 0 ? Math.min(100, Math.round((100 * p.value) / p.max)) : null;
  return (
    <div className={`progress${pct === null ? " progress-indeterminate" : ""}`} data-testid="node-progress">
      <div className="progress-bar" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}

function Reason({ reason }: { reason: string }) {
  const text = useReadableReason(reason);
  return (
    <span className="step-reason" title={text} data-testid="node-reason">
      {text}
    </span>
  );
}

function ModuleNodeView({ id, data, selected }: NodeProps<ModuleFlowNode>) {
  const { node, spec, issues, step, diff, stale, others } = data;
  const actions = useContext(EditorActions);
  const status = step?.status;
  const errors = issues.length;
  const title = node.label || spec?.display_name || node.module;
  const className = [
    "module-node",
    status ? `status-${status}` : "",
    errors ? "has-issues" : "",
    diff ? `diff-${diff}` : "",
    stale ? "stale" : "",
    selected ? "selected" : "",
    spec ? "" : "unknown-module",
    others ? "has-others" : "",
  ].join(" ");
  const ring = others ? { "--presence-color": others[0].color } as React.CSSProperties : undefined;
  return (
    <div
      className={className}
      style={ring}
      data-testid={`node-${id}`}
      data-status={status ?? "idle"}
      data-stale={stale}
      data-module={node.module}
      data-selected-by={others?.map((o) => o.name).join(" ")}
    >
      {others && (
        <div className="node-presence" aria-label="Also here">
          {others.map((o) => (
            <span key={o.name} className="node-presence-tag" style={{ background: o.color }} title={o.editing ? `${o.name} is editing this node` : `${o.name} has this selected`}>
              {o.name}
              {o.editing ? " ✎" : ""}
            </span>
          ))}
        </div>
      )}
      <div className="module-ports">
        <div className="port-row-in">
          {spec?.inputs.map((p, i) => (
            <div key={p.name} className="port port-in" style={spread(i, spec.inputs.length)} title={`${p.name}: ${p.type}${p.optional ? " (optional)" : ""}`}>
              <Handle type="target" position={Position.Top} id={p.name} className={portClass(p)} data-testid={`in-${id}-${p.name}`} />
              <span className="port-label">
                {p.name}
                {p.optional ? "?" : ""}
              </span>
            </div>
          ))}
        </div>
      </div>
      <div className="module-header">
        <span className={`category-dot cat-${(spec?.category ?? "other").toLowerCase().replace(/[^a-z]+/g, "-")}`} aria-hidden="true" />
        <span className="module-title" title={spec?.description ?? node.module}>
          {title}
        </span>
        {errors > 0 && (
          <span className="issue-badge" title={issues.map((i) => i.message).join("\n")} data-testid="node-issues">
            {errors}
          </span>
        )}
      </div>
      <div className="module-footer">
        {step ? (
          <>
            <span className={`status-pill pill-${step.status}`} data-testid="node-status">
              {STATUS_LABEL[step.status] ?? step.status}
              {step.attempts > 1 ? ` · attempt ${step.attempts}` : ""}
            </span>
            {stale && (
              <span className="stale-tag" data-testid="node-stale" title={STALE_TITLE[stale]}>
                out of date
              </span>
            )}
            {step.error && (step.status === "failed" || step.status === "retrying") ? (
              <span className="step-reason step-error-line" title={step.error} data-testid="node-error">
                {step.error}
              </span>
            ) : (
              step.reason && !stale && <Reason reason={step.reason} /> // an outdated result's reason stays in the inspector
            )}
          </>
        ) : (
          <span className="module-ref">{node.module}</span>
        )}
      </div>
      <div className="port-row-out">
        {spec?.outputs.map((p, i) => {
          const output = step?.outputs?.[p.name];
          return (
            <div key={p.name} className="port port-out" style={spread(i, spec.outputs.length)} title={`${p.name}: ${p.type}`}>
              {output ? (
                <button
                  className="port-label port-preview nodrag"
                  data-testid={`preview-${id}-${p.name}`}
                  title="Preview this output"
                  onClick={(e) => {
                    e.stopPropagation();
                    actions.preview(id, p.name);
                  }}
                >
                  {p.name}
                  <EyeIcon />
                </button>
              ) : (
                <span className="port-label">{p.name}</span>
              )}
              <Handle type="source" position={Position.Bottom} id={p.name} className={portClass(p)} data-testid={`out-${id}-${p.name}`} />
            </div>
          );
        })}
      </div>
      {step && <Progress step={step} />}
    </div>
  );
}

export const ModuleNode = memo(ModuleNodeView);
