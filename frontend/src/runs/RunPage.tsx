// One run on a page of its own, drawn on the graph version it ran: every step's status, attempts,
// reason, duration, outputs and logs, the plan it executed; live while it runs.
import { ReactFlowProvider } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { api, errorMessage } from "../api/client";
import type { ModuleSpec, Run, StepState } from "../api/types";
import { mayEdit, useWorkspace } from "../api/useWorkspace";
import { EditorActions, type EditorActionsValue } from "../editor/actions";
import { Canvas } from "../editor/Canvas";
import { Catalogue } from "../graph/catalogue";
import { normalizeDocument, type GraphDocument } from "../graph/document";
import type { Decorations, DiffMark } from "../graph/mapping";
import { linkProps, navigate } from "../router";
import { bytes } from "../ui/bytes";
import { usePanelHeight, PanelResizer } from "../ui/PanelResizer";
import { Shell } from "../ui/Shell";
import { useToast } from "../ui/toasts";
import { fmt } from "./charts";
import { downloads } from "./downloads";
import { OutputPreview } from "./OutputPreview";
import { PlanTable, type PlanBody } from "./PlanTable";
import { ReasonProvider, shortDate, useReadableReason } from "./reasons";
import { StartedBy } from "./StartedBy";
import { isFinal } from "./state";
import { StepLog } from "./StepLog";
import { useRunView } from "./useRunView";

type RunDetail = Run;

const NONE = new Map();
const NO_MARKS: ReadonlyMap<string, DiffMark> = new Map();

export function seconds(started: string | null | undefined, finished: string | null | undefined): string {
  if (!started) return "—";
  const s = ((finished ? new Date(finished) : new Date()).getTime() - new Date(started).getTime()) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function RunPage({ runId }: { runId: number }) {
  const toast = useToast();
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [doc, setDoc] = useState<GraphDocument | null>(null);
  const [catalogue, setCatalogue] = useState<Catalogue | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { runView, socketUp } = useRunView(runId, toast);
  const status = runView?.run.status;

  const load = useCallback(() => {
    api
      .get<RunDetail>(`/api/runs/${runId}/`)
      .then(setDetail)
      .catch((e) => setError(errorMessage(e)));
  }, [runId]);
  useEffect(load, [load]);
  useEffect(() => {
    if (isFinal(status)) load(); // its finish times, and the runs its steps reused
  }, [status, load]);
  useEffect(() => {
    if (!detail) return;
    Promise.all([
      api.get<{ document: GraphDocument }>(`/api/graphs/${detail.graph}/versions/${detail.version}/`),
      api.get<{ modules: ModuleSpec[] } | ModuleSpec[]>("/api/modules/"),
    ])
      .then(([version, mods]) => {
        setDoc(normalizeDocument(version.document));
        setCatalogue(new Catalogue(Array.isArray(mods) ? mods : mods.modules));
      })
      .catch((e) => setError(errorMessage(e)));
  }, [detail?.graph, detail?.version]); // eslint-disable-line react-hooks/exhaustive-deps

  if (error) {
    return (
      <Shell crumbs={[{ label: "Run" }]}>
        <div className="callout callout-error page-message">Could not open run {runId}: {error}</div>
      </Shell>
    );
  }
  if (!detail || !doc || !catalogue || !runView) {
    return (
      <Shell crumbs={[{ label: `Run ${runId}` }]} full>
        <div className="page-loading">Loading run {runId}…</div>
      </Shell>
    );
  }
  return (
    <ReactFlowProvider>
      <RunLayout detail={detail} doc={doc} catalogue={catalogue} view={runView} socketUp={socketUp} onChanged={load} />
    </ReactFlowProvider>
  );
}

function RunLayout({ detail, doc, catalogue, view, socketUp, onChanged }: { detail: RunDetail; doc: GraphDocument; catalogue: Catalogue; view: NonNullable<ReturnType<typeof useRunView>["runView"]>; socketUp: boolean; onChanged: () => void }) {
  const toast = useToast();
  const workspace = useWorkspace(detail.workspace);
  const canEdit = mayEdit(workspace);
  const labels = useMemo(() => new Map(doc.nodes.map((n) => [n.id, n.label || catalogue.get(n.module)?.display_name || n.id])), [catalogue, doc.nodes]);
  const steps = view.steps;
  const firstFailed = [...steps.values()].find((s) => s.status === "failed")?.key;
  const [selected, setSelected] = useState<string | null>(firstFailed ?? doc.nodes[0]?.id ?? null);
  const [tab, setTab] = useState<"step" | "plan">("step");
  const [bottom, setBottom] = useState<"logs" | "preview">("logs");
  const [bottomHeight, setBottomHeight] = usePanelHeight();
  const [preview, setPreview] = useState<{ step: string; port: string } | null>(null);
  const [plan, setPlan] = useState<PlanBody | null>(null);
  const selection = useMemo(() => new Set(selected ? [selected] : []), [selected]);
  const deco: Decorations = useMemo(
    () => ({ catalogue, issuesByNode: NONE, steps, diff: NO_MARKS, selected: selection, readOnly: true, estimateSizes: doc.nodes.length > 300, presence: NONE }),
    [catalogue, doc.nodes.length, selection, steps],
  );
  const actions: EditorActionsValue = useMemo(
    () => ({
      preview: (step, port) => {
        setSelected(step);
        setPreview({ step, port });
        setBottom("preview");
      },
      updateComment: () => undefined,
      shared: null,
    }),
    [],
  );
  useEffect(() => {
    if (tab !== "plan" || plan) return;
    api
      .get<PlanBody>(`/api/runs/${detail.id}/plan/`)
      .then(setPlan)
      .catch((e) => toast(errorMessage(e), "error"));
  }, [detail.id, plan, tab, toast]);
  const run = view.run;
  const step = selected ? steps.get(selected) : undefined;
  const pin = async () => {
    try {
      await api.patch(`/api/runs/${detail.id}/`, { pinned: !detail.pinned });
      onChanged();
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  };
  const cancel = async () => {
    try {
      await api.post(`/api/runs/${detail.id}/cancel/`); // its status comes over the run's socket
    } catch (e) {
      toast(`Could not cancel: ${errorMessage(e)}`, "error");
    }
  };
  const remove = async () => {
    if (!window.confirm(`Delete run ${detail.id}? Its steps, logs and outputs go with it.`)) return;
    try {
      await api.delete(`/api/runs/${detail.id}/`);
      navigate(`/graphs/${detail.graph}/runs/`);
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  };
  // a succeeded training run becomes an inference graph (frozen model and transforms) to publish as a real-time endpoint
  const scoringSteps = doc.nodes.filter((n) => /^ml\.(score_model|assign_clusters|score_svd_recommender)@/.test(n.module)).map((n) => n.id);
  const deriveInferenceGraph = async () => {
    const chosen = scoringSteps.length > 1 ? (selected !== null && scoringSteps.includes(selected) ? selected : null) : undefined;
    if (chosen === null) {
      toast(`This run scored several models: select the scoring step to serve (${scoringSteps.map((id) => labels.get(id) ?? id).join(", ")}).`, "error");
      return;
    }
    try {
      const graph = await api.post<{ id: number }>(`/api/runs/${detail.id}/inference-graph/`, chosen ? { score_node: chosen } : {});
      navigate(`/graphs/${graph.id}/`);
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  };
  const previewOutput = preview ? steps.get(preview.step)?.outputs?.[preview.port] : undefined;
  const reasons = [...steps.values()].map((s) => s.reason);
  return (
    <Shell
      full
      crumbs={[
        { label: "Workspaces", href: "/" },
        { label: workspace?.name ?? "Workspace", href: `/workspaces/${detail.workspace}/` },
        { label: detail.graph_name, href: `/graphs/${detail.graph}/` },
        { label: "Runs", href: `/graphs/${detail.graph}/runs/` },
        { label: `Run ${detail.id}` },
      ]}
      actions={
        <div className="editor-toolbar">
          {canEdit && (
            <button onClick={() => void pin()} data-testid="pin-run" title="A pinned run keeps its outputs whatever the retention setting">
              {detail.pinned ? "Unpin" : "Pin"}
            </button>
          )}
          <a className="button" {...linkProps(`/graphs/${detail.graph}/runs/?compare=${detail.id}`)}>Compare…</a>
          {canEdit && run.status === "succeeded" && scoringSteps.length > 0 && (
            <button
              onClick={() => void deriveInferenceGraph()}
              data-testid="create-inference-graph"
              title="A new graph that scores rows with this run's trained model and fitted transforms, ready to publish as a real-time endpoint"
            >
              Create inference graph
            </button>
          )}
          {canEdit && !isFinal(run.status) && (
            <button className="danger" onClick={() => void cancel()} data-testid="cancel-run">
              Cancel run
            </button>
          )}
          {canEdit && isFinal(run.status) && (
            <button className="danger" onClick={() => void remove()} data-testid="delete-run">
              Delete
            </button>
          )}
          <a className="button primary" {...linkProps(`/graphs/${detail.graph}/`)}>Open editor</a>
        </div>
      }
    >
      <ReasonProvider workspace={detail.workspace} labels={labels} reasons={reasons}>
        <EditorActions.Provider value={actions}>
          <div className="run-page" style={{ "--bottom-height": `${bottomHeight}px` } as React.CSSProperties} data-testid="run-page" data-status={run.status}>
            <div className="editor-center">
              <h1 className="sr-only">Run {run.id} of {detail.graph_name}</h1>
              <div className={`run-chip run-${run.status}`} data-testid="run-status" data-status={run.status}>
                Run {run.id}: {run.status} · version {detail.version}
                {" · "}
                <StartedBy run={detail} /> · {shortDate(detail.created_at)}
                {detail.pinned ? " · pinned" : ""}
              </div>
              {!socketUp && !isFinal(run.status) && <div className="viewing-banner warn">Live updates interrupted; reconnecting…</div>}
              <Canvas
                doc={doc}
                deco={deco}
                catalogue={catalogue}
                selectedEdges={NONE as ReadonlySet<string>}
                onSelection={(nodes) => {
                  const first = [...nodes][0];
                  if (first) {
                    setSelected(first);
                    setTab("step");
                  }
                }}
                dispatch={() => undefined}
                onRefused={() => undefined}
                onDropModule={() => undefined}
                onPointer={() => undefined}
                onlyRenderVisible={doc.nodes.length > 300}
              />
            </div>
            <aside className="sidebar" aria-label="Run details">
              <h2 className="sr-only">Run details</h2>
              <div className="tabs" role="tablist">
                <button role="tab" aria-selected={tab === "step"} onClick={() => setTab("step")} data-testid="step-tab">Step</button>
                <button role="tab" aria-selected={tab === "plan"} onClick={() => setTab("plan")} data-testid="plan-tab">Plan</button>
              </div>
              <div className="sidebar-body">
                {tab === "step" && (step ? <StepDetails runId={run.id} step={step} label={labels.get(step.key) ?? step.key} onPreview={(port) => actions.preview(step.key, port)} /> : <RunSummary detail={detail} view={view} />)}
                {tab === "plan" && (plan ? <PlanTable plan={plan} onPick={(key) => setSelected(key)} /> : <p className="muted">Loading the plan…</p>)}
              </div>
            </aside>
            <section className="bottom-panel">
              <PanelResizer height={bottomHeight} onResize={setBottomHeight} label="Resize the logs and preview panel" />
              <div className="tabs bottom-tabs" role="tablist">
                <button role="tab" aria-selected={bottom === "logs"} onClick={() => setBottom("logs")} data-testid="logs-tab">
                  Logs{step ? ` · ${labels.get(step.key) ?? step.key}` : ""}
                </button>
                <button role="tab" aria-selected={bottom === "preview"} disabled={!previewOutput} onClick={() => setBottom("preview")}>Output preview</button>
              </div>
              {bottom === "logs" && step && <StepLog view={view} step={step} />}
              {bottom === "preview" && preview && previewOutput && (
                <OutputPreview key={`${preview.step}-${preview.port}`} runId={run.id} step={preview.step} port={preview.port} output={previewOutput} title={labels.get(preview.step) ?? preview.step} onClose={() => setBottom("logs")} />
              )}
            </section>
          </div>
        </EditorActions.Provider>
      </ReasonProvider>
    </Shell>
  );
}

function RunSummary({ detail, view }: { detail: RunDetail; view: NonNullable<ReturnType<typeof useRunView>["runView"]> }) {
  const counts = view.finished?.counts;
  return (
    <div className="inspector">
      <h3>Run {detail.id}</h3>
      <p>{seconds(detail.started_at, detail.finished_at)}{counts ? ` · ${counts.ran ?? 0} ran, ${counts.reused ?? 0} reused, ${counts.failed ?? 0} failed` : ""}</p>
      {detail.error && <pre className="step-error">{detail.error}</pre>}
      <p className="muted small">Parameters: {Object.entries(detail.parameters ?? {}).map(([k, v]) => `${k}=${fmt(v)}`).join(", ") || "none"}</p>
      <p className="muted small">Click a step to see its attempts, outputs and logs.</p>
    </div>
  );
}

function StepDetails({ runId, step, label, onPreview }: { runId: number; step: StepState; label: string; onPreview: (port: string) => void }) {
  const reason = useReadableReason(step.reason);
  return (
    <div className="inspector" data-testid="step-details">
      <header className="inspector-header">
        <div className="inspector-title">{label}</div>
        <div className="muted small">{step.module} · {step.key}</div>
      </header>
      <p>
        <span className={`status-pill pill-${step.status}`} data-testid="step-status">{step.status}</span>
        <span className="muted small"> {seconds(step.started_at, step.finished_at)}</span>
      </p>
      {reason && <p className="small step-reason-full" data-testid="step-reason">{reason}</p>}
      {step.error && <pre className="step-error" data-testid="step-error">{step.error}</pre>}
      {(step.history ?? []).filter((a) => a.attempt > 0).length > 0 && (
        <>
          <h3>Attempts</h3>
          <table className="data-table list-table" data-testid="attempts">
            <tbody>
              {(step.history ?? []).filter((a) => a.attempt > 0).map((a) => (
                <tr key={a.attempt} data-testid={`attempt-${a.attempt}`}>
                  <td>#{a.attempt}</td>
                  <td><span className={`status-pill pill-${a.status}`}>{a.status}</span></td>
                  <td className="muted small">{seconds(a.started_at, a.finished_at)}</td>
                  <td className="small attempt-error" title={a.error}>{a.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {Object.keys(step.outputs ?? {}).length > 0 && (
        <>
          <h3>Outputs</h3>
          <ul className="output-list">
            {Object.entries(step.outputs).map(([port, output]) => (
              <li key={port} data-testid={`output-${port}`}>
                <button className="link-button" onClick={() => onPreview(port)} data-testid={`open-output-${port}`}>{port}</button>
                <span className="muted small" title={`${fmt(output.size)} bytes`}> {output.kind} · {bytes(output.size)}</span>
                <span className="output-downloads">
                  {downloads(runId, step.key, port, output).map((d) => (
                    <a key={d.label} href={d.href} download data-testid={d.testId}>
                      {d.label}
                    </a>
                  ))}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
