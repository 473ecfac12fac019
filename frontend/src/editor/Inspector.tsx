// The right-hand panel for the selected module: its label, parameters, limits, issues and what its last run said.
import { memo, useMemo } from "react";
import type { Dataset, DatasetVersion, Issue, ModuleSpec, StepState } from "../api/types";
import { useDatasetVersions, versionLabel } from "../datasets/versions";
import { bindableNames } from "../graph/binding";
import type { Execution, GraphNode, ParamValue, PipelineParameter } from "../graph/document";
import type { NodePresence } from "../graph/mapping";
import { codeErrorLine } from "../runs/codeErrors";
import { useReadableReason } from "../runs/reasons";
import { ExecutionLimits } from "./ExecutionLimits";
import { fieldIssueText, issueText } from "./issueText";
import { ParamField, type ParamOption } from "./ParamField";

interface Props {
  node: GraphNode;
  spec: ModuleSpec | undefined;
  issues: readonly Issue[];
  step: StepState | undefined;
  columns: string[] | null;
  /** When the upstream columns are not known: the upstream node's label, and how to run it. */
  columnsFrom?: string;
  onListColumns?: () => void;
  /** The workspace's registered datasets: their names and versions are offered to the dataset reader. */
  datasets?: readonly Dataset[];
  /** The pipeline's parameters: each field offers those it can be bound to. */
  pipelineParams: Readonly<Record<string, PipelineParameter>>;
  readOnly: boolean;
  onParam: (name: string, value: ParamValue | undefined) => void;
  onLabel: (label: string) => void;
  onExecution: (execution: Execution | undefined) => void;
  onRunFrom?: (mode: "from" | "only") => void;
  /** Open the Wires dialog: connect or disconnect this module's ports with the keyboard. */
  onWires?: () => void;
  /** Other people who have this node selected or open in their inspector. */
  others?: readonly NodePresence[];
}

/** A dataset's versions to choose from, newest first; a digest prefix chosen earlier stays chosen. */
function versionChoices(versions: readonly DatasetVersion[], count: number, chosen: unknown): ParamOption[] {
  return versions.map((v, i) => ({
    value: typeof chosen === "string" && chosen !== "" && v.digest.startsWith(chosen) ? chosen : v.digest,
    label: versionLabel(v, count - i),
  }));
}

function InspectorView({ node, spec, issues, step, columns, columnsFrom, onListColumns, datasets, pipelineParams, readOnly, onParam, onLabel, onExecution, onRunFrom, onWires, others }: Props) {
  const paramIssue = new Map(issues.filter((i) => i.param).map((i) => [i.param as string, fieldIssueText(i)]));
  const reason = useReadableReason(step?.reason ?? "");
  const failedAt = step?.status === "failed" || step?.status === "retrying" ? codeErrorLine(step.error) : null;
  const general = issues.filter((i) => !i.param);
  const reader = spec?.name === "data.registered_dataset";
  const datasetNames = useMemo(() => (datasets ? datasets.map((d) => d.name) : null), [datasets]);
  const read = reader ? datasets?.find((d) => d.name === node.params.name) : undefined;
  const versions = useDatasetVersions(read?.id);
  const versionOptions = read && versions.length > 0 ? versionChoices(versions, read.version_count, node.params.version) : undefined;
  return (
    <div className="inspector" data-testid="inspector">
      <header className="inspector-header">
        <div className="inspector-title">{spec?.display_name ?? node.module}</div>
        <div className="muted small">
          {node.module} · {node.id}
        </div>
        {others && others.length > 0 && (
          <p className="inspector-others" data-testid="inspector-others">
            {others.map((o) => (
              <span key={o.name} className="node-presence-tag" style={{ background: o.color }}>
                {o.name} {o.editing ? "is editing this node" : "has it selected"}
              </span>
            ))}
          </p>
        )}
        {spec?.description && <p className="inspector-description">{spec.description}</p>}
        {spec?.environment.image && (
          <p className="muted small" data-testid="inspector-image">
            Runs in the container image <code>{spec.environment.image}</code>, without network.
          </p>
        )}
      </header>
      <div className="field">
        <label className="field-label" htmlFor={`label-${node.id}`}>
          Label
        </label>
        <input id={`label-${node.id}`} type="text" value={node.label ?? ""} placeholder={spec?.display_name} readOnly={readOnly} onChange={(e) => onLabel(e.target.value)} />
      </div>
      {!spec && <div className="callout callout-error">This module is not in the catalogue; it cannot run.</div>}
      {general.length > 0 && (
        <ul className="issue-list compact">
          {general.map((i, k) => (
            <li key={k} className="issue">
              {issueText(i)}
            </li>
          ))}
        </ul>
      )}
      {spec?.params.map((p) => (
        <ParamField
          key={p.name}
          nodeId={node.id}
          spec={p}
          value={node.params[p.name]}
          columns={reader && p.name === "name" ? datasetNames : p.type === "columns" || p.type === "column" || p.type === "string" ? columns : null}
          options={reader && p.name === "version" ? versionOptions : undefined}
          placeholder={reader && p.name === "version" ? "latest (read anew on every run)" : undefined}
          pipelineParams={bindableNames(pipelineParams, p.type)}
          error={paramIssue.get(p.name)}
          errorLine={failedAt && failedAt.param === p.name ? failedAt.line : undefined}
          readOnly={readOnly}
          onChange={(v) => onParam(p.name, v)}
        />
      ))}
      {spec && spec.params.length === 0 && <p className="muted">This module has no parameters.</p>}
      {columnsFrom && spec?.params.some((p) => p.type === "columns") && (
        <div className="callout" data-testid="columns-unknown">
          The columns of {columnsFrom}'s output are known once it has run.{" "}
          {onListColumns && (
            <button className="link-button" onClick={onListColumns} data-testid="list-columns">
              Run {columnsFrom} to list them
            </button>
          )}
        </div>
      )}
      {spec && <ExecutionLimits key={node.id} node={node} spec={spec} readOnly={readOnly} onChange={onExecution} />}
      {step && (
        <section className="inspector-run">
          <h3>Last run</h3>
          <div className={`status-pill pill-${step.status}`}>{step.status}</div>
          {step.attempts > 0 && <span className="muted small"> attempts: {step.attempts}</span>}
          {step.reason && <p className="small step-reason-full" data-testid="step-reason">{reason}</p>}
          {step.error && <pre className="step-error" data-testid="step-error">{step.error}</pre>}
        </section>
      )}
      {!readOnly && (onWires || onRunFrom) && (
        <div className="inspector-actions">
          {onWires && (
            <button onClick={onWires} aria-keyshortcuts="W" data-testid="open-wires">
              Wires…
            </button>
          )}
          {onRunFrom && (
            <>
              <button onClick={() => onRunFrom("from")}>Run from here</button>
              <button onClick={() => onRunFrom("only")}>Run only this</button>
            </>
          )}
        </div>
      )}
    </div>
  );
}

export const Inspector = memo(InspectorView);
