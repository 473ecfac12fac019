// The editor page: loads the graph, then composes the shared document, presence, canvas, panels
// and runs. Each concern lives in its own hook or component; this file only wires them together.
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { api, errorMessage } from "../api/client";
import type { GraphDetail, ModuleSpec, StepState } from "../api/types";
import { PresenceAvatars } from "../collab/PresenceAvatars";
import { LocalPresence, presenceByNode, usePresence } from "../collab/presence";
import { RemotePointers } from "../collab/RemotePointers";
import { useCollab, type Collab } from "../collab/useCollab";
import { PublishDialog } from "../endpoints/PublishDialog";
import { Catalogue } from "../graph/catalogue";
import { normalizeDocument, type Execution, type GraphDocument, type ParamValue } from "../graph/document";
import { sharedText } from "../graph/shared";
import type { Operation } from "../graph/operations";
import type { WireSubject } from "../graph/wireChoices";
import { commentFlowId, issuesByNode, NODE_WIDTH, type Decorations, type DiffMark } from "../graph/mapping";
import { linkProps } from "../router";
import { ReasonProvider } from "../runs/reasons";
import { isFinal } from "../runs/state";
import { useFollowedRun } from "../runs/useFollowedRun";
import { Shell } from "../ui/Shell";
import { usePanelHeight } from "../ui/PanelResizer";
import { useToast } from "../ui/toasts";
import { EditorActions, type EditorActionsValue } from "./actions";
import { BottomPanel, type BottomTab } from "./BottomPanel";
import { Canvas } from "./Canvas";
import { EditorSidebar, type SidebarTab } from "./EditorSidebar";
import { EditorToolbar, RunButtons, type SaveStatus } from "./EditorToolbar";
import { GraphSettings } from "./GraphSettings";
import { Inspector } from "./Inspector";
import { IssuesPanel } from "./IssuesPanel";
import { useShortcuts } from "./keyboard";
import { Palette } from "./Palette";
import { RunDialog } from "./RunDialog";
import { ShortcutsDialog } from "./ShortcutsDialog";
import { useEditCommands } from "./useEditCommands";
import { useLiveIssues } from "./useLiveIssues";
import { useOutOfDate } from "./useOutOfDate";
import { useRunControls } from "./useRunControls";
import { useSelection } from "./useSelection";
import { useVersionViewing } from "./useVersionViewing";
import { useWorkspaceInfo } from "./useWorkspaceInfo";
import { columnIssues, upstreamColumns, useInferredColumns } from "./useColumns";
import { VersionsPanel } from "./VersionsPanel";
import { ViewingBanner } from "./ViewingBanner";
import { focusModuleWhenShown, focusSubject, subjectToWire, WiresDialog } from "./WiresDialog";

const EMPTY_STEPS: ReadonlyMap<string, StepState> = new Map();
const EMPTY_MARKS: ReadonlyMap<string, DiffMark> = new Map();
const LARGE_GRAPH = 300;

declare global {
  interface Window {
    /** The document this page shows (read-only; for the browser tests and the console). */
    designerDocument?: () => GraphDocument;
  }
}

export function EditorPage({ graphId }: { graphId: number }) {
  const [catalogue, setCatalogue] = useState<Catalogue | null>(null);
  const [graph, setGraph] = useState<GraphDetail | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    Promise.all([
      api.get<{ modules: ModuleSpec[] } | ModuleSpec[]>("/api/modules/", ctrl.signal),
      api.get<GraphDetail>(`/api/graphs/${graphId}/`, ctrl.signal),
    ])
      .then(([mods, g]) => {
        setCatalogue(new Catalogue(Array.isArray(mods) ? mods : mods.modules));
        setGraph(g);
      })
      .catch((err) => {
        if ((err as Error).name !== "AbortError") setLoadError(errorMessage(err));
      });
    return () => ctrl.abort();
  }, [graphId]);

  if (loadError) {
    return (
      <Shell crumbs={[{ label: "Graph" }]}>
        <div className="callout callout-error page-message">Could not open this graph: {loadError}</div>
      </Shell>
    );
  }
  if (!catalogue || !graph) {
    return (
      <Shell crumbs={[{ label: "Loading…" }]} full>
        <div className="page-loading" data-testid="loading">Loading the editor…</div>
      </Shell>
    );
  }
  return (
    <ReactFlowProvider>
      <Editor key={graph.id} initial={graph} catalogue={catalogue} />
    </ReactFlowProvider>
  );
}

function saveStatus(collab: Collab): SaveStatus {
  const { status, unsaved } = collab.state;
  if (status === "offline" || status === "closed") {
    const label = unsaved ? "Offline: your edits are kept here and merge when the connection is back" : "Offline";
    return { kind: "offline", label };
  }
  if (!collab.loaded) return { kind: "connecting", label: "Connecting…" };
  return unsaved ? { kind: "saving", label: "Saving…" } : { kind: "saved", label: "All changes saved" };
}

function Editor({ initial, catalogue }: { initial: GraphDetail; catalogue: Catalogue }) {
  const graphId = initial.id;
  const toast = useToast();
  const flow = useReactFlow();
  const collab = useCollab(graphId, catalogue.codeParams, toast);
  const { store, awareness } = collab;
  const shared = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [draft] = useState(() => normalizeDocument(initial.draft));
  const doc = collab.loaded ? shared : draft; // the saved draft until the shared copy arrives
  useEffect(() => {
    window.designerDocument = () => store.document;
    return () => {
      delete window.designerDocument;
    };
  }, [store]);

  const { workspace, datasets } = useWorkspaceInfo(initial.workspace);
  const [name, setName] = useState(initial.name);
  const [issues, setIssues] = useLiveIssues(graphId, doc, initial.issues ?? []);
  const [rightTab, setRightTab] = useState<SidebarTab>("inspect");
  const [bottom, setBottom] = useState<BottomTab | null>(null);
  const [bottomHeight, setBottomHeight] = usePanelHeight();
  const [versionsKey, setVersionsKey] = useState(0);
  const [preview, setPreview] = useState<{ step: string; port: string } | null>(null);
  const [help, setHelp] = useState(false);
  const [publishing, setPublishing] = useState(false);
  const [wiring, setWiring] = useState<WireSubject | null>(null);

  // ---- presence ------------------------------------------------------------------------------
  const presence = useMemo(() => new LocalPresence(awareness), [awareness]);
  const others = usePresence(awareness);
  const selection = useSelection(presence);
  const { select } = selection;

  // ---- editing -------------------------------------------------------------------------------
  const versions = useVersionViewing(graphId, store, collab.saved, toast, () => select(new Set(), new Set()));
  const { viewing } = versions;
  const canEdit = workspace?.role !== "viewer" && collab.state.canEdit !== false;
  const readOnly = viewing !== null || !canEdit || !collab.loaded;
  const showInspector = useCallback(() => setRightTab("inspect"), []);
  const edit = useEditCommands(store, catalogue, selection, readOnly, toast, showInspector);
  const { dispatch } = edit;
  const actions: EditorActionsValue = useMemo(
    () => ({
      preview: (step, port) => {
        setPreview({ step, port });
        setBottom("preview");
      },
      updateComment: (id, changes) => dispatch([{ type: "update_comment", id, changes }]),
      shared: readOnly
        ? null
        : { find: (at) => sharedText(store.ydoc, at), awareness, edit: (text, value, key) => store.editText(text, value, key), undo: () => store.undo(), redo: () => store.redo() },
    }),
    [awareness, dispatch, readOnly, store],
  );

  /** Select a node and bring it to the middle of the canvas. */
  const revealNode = useCallback(
    (id: string) => {
      select(new Set([id]), new Set());
      const n = store.document.nodes.find((x) => x.id === id);
      if (n) void flow.setCenter(n.position.x + NODE_WIDTH / 2, n.position.y + 60, { zoom: 1, duration: 250 });
    },
    [flow, select, store],
  );

  // ---- runs ----------------------------------------------------------------------------------
  const { runView, follow, socketUp, workspaceLive } = useFollowedRun(graphId, initial.workspace, toast);
  const running = runView !== null && !isFinal(runView.run.status);
  const labels = useMemo(() => new Map(doc.nodes.map((n) => [n.id, n.label || catalogue.get(n.module)?.display_name || n.id])), [catalogue, doc.nodes]);
  const onRunStarted = useCallback(() => {
    setVersionsKey((k) => k + 1);
    setBottom((current) => {
      if (current === null) window.setTimeout(() => void flow.fitView({ padding: 0.15, duration: 200, maxZoom: 1 }), 50);
      return current ?? "logs";
    });
  }, [flow]);
  const [issueFocus, setIssueFocus] = useState(0);
  const onRunIssues = useCallback(
    (found: typeof issues) => {
      setIssues(found);
      setRightTab("issues");
      setIssueFocus((k) => k + 1); // the panel focuses the first issue that names a node
      const first = found.find((i) => i.node);
      if (first?.node) revealNode(first.node);
    },
    [revealNode, setIssues],
  );
  const runs = useRunControls({ graphId, store, runView, follow, saved: collab.saved, labels, toast, onStarted: onRunStarted, onIssues: onRunIssues });

  // ---- derived view --------------------------------------------------------------------------
  const shownDoc = viewing ? viewing.doc : doc;
  const large = shownDoc.nodes.length > LARGE_GRAPH;
  const steps = viewing ? EMPTY_STEPS : (runView?.steps ?? EMPTY_STEPS);
  const inferred = useInferredColumns(graphId, doc);
  const shownIssues = useMemo(() => (viewing ? [] : [...issues, ...columnIssues(doc, steps, inferred, catalogue)]), [catalogue, doc, inferred, issues, steps, viewing]);
  const byNode = useMemo(() => issuesByNode(shownIssues), [shownIssues]);
  const othersByNode = useMemo(() => presenceByNode(viewing ? [] : others), [others, viewing]);
  const stale = useOutOfDate(graphId, runView?.run.version, doc);
  const deco: Decorations = useMemo(
    () => ({ catalogue, issuesByNode: byNode, steps, diff: viewing?.marks ?? EMPTY_MARKS, stale, selected: selection.nodes, presence: othersByNode, readOnly, estimateSizes: large }),
    [byNode, catalogue, large, othersByNode, readOnly, selection.nodes, stale, steps, viewing],
  );
  const selectedNode = selection.nodes.size === 1 ? shownDoc.nodes.find((n) => selection.nodes.has(n.id)) : undefined;
  const inspecting = rightTab === "inspect" && !viewing ? (selectedNode?.id ?? null) : null;
  useEffect(() => presence.editing(inspecting), [presence, inspecting]);
  const upstream = useMemo(() => upstreamColumns(doc, selectedNode, runView?.steps ?? EMPTY_STEPS, inferred, catalogue), [catalogue, doc, inferred, runView?.steps, selectedNode]);
  const reasons = useMemo(() => [...steps.values()].map((s) => s.reason), [steps]);
  const moduleName = useCallback((ref: string) => catalogue.get(ref)?.display_name, [catalogue]);

  const showNode = useCallback(
    (id: string) => {
      revealNode(id);
      setRightTab("inspect");
    },
    [revealNode],
  );
  const setParam = useCallback(
    (param: string, value: ParamValue | undefined) => {
      if (selectedNode) dispatch([{ type: "set_param", node: selectedNode.id, name: param, value }], `${selectedNode.id}.${param}`);
    },
    [dispatch, selectedNode],
  );
  const setLabel = useCallback(
    (label: string) => {
      if (selectedNode) dispatch([{ type: "set_label", node: selectedNode.id, label }], `${selectedNode.id}.label`);
    },
    [dispatch, selectedNode],
  );
  const setExecution = useCallback(
    (execution: Execution | undefined) => {
      if (selectedNode) dispatch([{ type: "set_execution", node: selectedNode.id, execution }], `${selectedNode.id}.execution`);
    },
    [dispatch, selectedNode],
  );
  /** A choice of the Wires dialog: a module it adds is selected, as one added from the palette is. */
  const wireDispatch = useCallback(
    (ops: Operation[]) => {
      dispatch(ops);
      const added = ops.find((op) => op.type === "add_node");
      if (added?.type === "add_node") select(new Set([added.node.id]), new Set());
    },
    [dispatch, select],
  );
  const closeWiring = useCallback(
    (focus?: string) => {
      setWiring(null);
      if (!focus) return;
      select(new Set([focus]), new Set());
      focusModuleWhenShown(focus); // after the dialog gave focus back to the wire that is gone
    },
    [select],
  );
  const rename = async () => {
    const next = window.prompt("Rename graph", name)?.trim();
    if (!next || next === name) return;
    try {
      await api.patch(`/api/graphs/${graphId}/`, { name: next });
      setName(next);
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const fit = () => void flow.fitView({ padding: 0.2, duration: 200, maxZoom: 1 });

  useShortcuts(
    {
      undo: () => !readOnly && store.undo(),
      redo: () => !readOnly && store.redo(),
      copy: () => void edit.copy(),
      cut: edit.cut,
      paste: edit.paste,
      duplicate: edit.duplicate,
      remove: edit.removeSelection,
      selectAll: () => select(new Set([...doc.nodes.map((n) => n.id), ...doc.comments.map((c) => commentFlowId(c.id))]), new Set(doc.edges.map((e) => e.id))),
      escape: () => {
        if (viewing) versions.close();
        else select(new Set(), new Set());
      },
      fit,
      layout: () => void edit.autoLayout(),
      comment: edit.addComment,
      search: () => document.getElementById("palette-search")?.focus(),
      wire: () => {
        if (readOnly) return;
        const subject = subjectToWire(doc, selection.nodes, selection.edges);
        if (!subject) {
          toast("Select a module or a wire first (Tab to it, then Enter), then press W to wire it.", "info");
          return;
        }
        focusSubject(subject); // where focus returns when the dialog closes
        setWiring(subject);
      },
      run: (options) => !readOnly && !running && runs.request({}, options),
      help: () => setHelp(true),
    },
    true,
  );

  const toolbar = (
    <>
      <PresenceAvatars you={collab.state.you} others={others} labels={labels} />
      <EditorToolbar
        graphId={graphId}
        save={saveStatus(collab)}
        readOnly={readOnly}
        canUndo={store.canUndo}
        canRedo={store.canRedo}
        onUndo={() => store.undo()}
        onRedo={() => store.redo()}
        onComment={edit.addComment}
        layingOut={edit.layingOut}
        onLayout={() => void edit.autoLayout()}
        onFit={fit}
        onHelp={() => setHelp(true)}
        onPublish={() => setPublishing(true)}
        run={
          <RunButtons
            status={runView?.run.status}
            running={running}
            readOnly={readOnly}
            starting={runs.starting}
            onRun={(options) => runs.request({}, options)}
            onCancel={() => void runs.cancel()}
            onResume={() => void runs.resume()}
          />
        }
      />
    </>
  );

  return (
    <Shell
      full
      crumbs={[
        { label: "Workspaces", href: "/" },
        { label: workspace?.name ?? "Workspace", href: `/workspaces/${initial.workspace}/` },
        { label: name },
      ]}
      actions={toolbar}
    >
      <ReasonProvider workspace={initial.workspace} labels={labels} reasons={reasons}>
        <EditorActions.Provider value={actions}>
          <div className={`editor${bottom ? " with-bottom" : ""}`} style={{ "--bottom-height": `${bottomHeight}px` } as React.CSSProperties} data-testid="editor" data-live={workspaceLive} data-synced={collab.state.status === "synced"}>
            <Palette catalogue={catalogue} onAdd={edit.addModule} disabled={readOnly} />
            <div className="editor-center">
              {viewing && <ViewingBanner viewing={viewing} canEdit={canEdit} onRestore={() => void versions.restore(viewing.number)} onBack={versions.close} />}
              {!canEdit && !viewing && <div className="viewing-banner">You are a viewer in this workspace: the pipeline is read-only.</div>}
              {!socketUp && running && <div className="viewing-banner warn">Live updates interrupted; reconnecting…</div>}
              {collab.state.closedReason && <div className="viewing-banner warn" data-testid="collab-closed">{collab.state.closedReason}</div>}
              <h1 className="sr-only">Pipeline {name}</h1>
              <button className="graph-name" onClick={() => void rename()} title="Rename" data-testid="graph-name">{name}</button>
              {runView && !viewing && (
                <div className={`run-chip run-${runView.run.status}`} data-testid="run-status" data-status={runView.run.status}>
                  <a {...linkProps(`/runs/${runView.run.id}/`)} data-testid="open-run-page">Run {runView.run.id}</a>: {runView.run.status}
                  {runView.finished ? ` · ${runView.finished.counts.ran ?? 0} ran, ${runView.finished.counts.reused ?? 0} reused · ${runView.finished.duration.toFixed(1)} s` : ""}
                </div>
              )}
              <Canvas
                doc={shownDoc}
                deco={deco}
                catalogue={catalogue}
                selectedEdges={selection.edges}
                onSelection={select}
                dispatch={dispatch}
                onRefused={(reason) => toast(reason, "error")}
                onDropModule={edit.dropModule}
                onPointer={(at) => presence.pointer(at)}
                onlyRenderVisible={large}
              >
                {!viewing && <RemotePointers others={others} />}
              </Canvas>
              {shownDoc.nodes.length === 0 && !viewing && (
                <div className="canvas-empty">
                  <p>Drag a module from the left onto the canvas, or double-click it.</p>
                  <p className="muted small">Press ? for keyboard shortcuts.</p>
                </div>
              )}
            </div>
            <EditorSidebar tab={rightTab} onTab={setRightTab} issueCount={shownIssues.length}>
              {rightTab === "inspect" &&
                (selectedNode ? (
                  <Inspector
                    node={selectedNode}
                    spec={catalogue.get(selectedNode.module)}
                    issues={byNode.get(selectedNode.id) ?? []}
                    step={stepOf(steps, selectedNode.id, selectedNode.module)}
                    columns={upstream.columns}
                    columnsFrom={upstream.unknownFrom ? (labels.get(upstream.unknownFrom) ?? upstream.unknownFrom) : undefined}
                    onListColumns={upstream.unknownFrom && !running && !readOnly ? () => void runs.start({ parameters: {}, bypass_cache: false }, { only_node: upstream.unknownFrom ?? undefined }) : undefined}
                    datasets={datasets}
                    pipelineParams={doc.parameters}
                    readOnly={readOnly}
                    onParam={setParam}
                    onLabel={setLabel}
                    onExecution={setExecution}
                    onRunFrom={running ? undefined : (mode) => runs.request(mode === "from" ? { from_node: selectedNode.id } : { only_node: selectedNode.id }, false)}
                    onWires={() => setWiring({ kind: "node", id: selectedNode.id })}
                    others={othersByNode.get(selectedNode.id)}
                  />
                ) : (
                  <GraphSettings doc={doc} readOnly={readOnly} dispatch={dispatch} selectionSize={selection.nodes.size} />
                ))}
              {rightTab === "issues" && <IssuesPanel issues={shownIssues} labels={labels} onShow={showNode} focusKey={issueFocus} />}
              {rightTab === "versions" && (
                <VersionsPanel
                  graphId={graphId}
                  viewing={viewing?.number ?? null}
                  canEdit={canEdit}
                  beforeCommit={collab.saved}
                  onOpen={(n, compare) => void versions.open(n, compare)}
                  onRestore={(n) => void versions.restore(n)}
                  labels={labels}
                  moduleName={moduleName}
                  refreshKey={versionsKey}
                />
              )}
            </EditorSidebar>
            {bottom && <BottomPanel tab={bottom} onTab={setBottom} onClose={() => setBottom(null)} runView={runView} preview={preview} labels={labels} height={bottomHeight} onResize={setBottomHeight} />}
            {!bottom && runView && (
              <button className="bottom-reopen" onClick={() => setBottom("logs")} data-testid="open-logs">Logs</button>
            )}
          </div>
        </EditorActions.Provider>
      </ReasonProvider>
      {runs.dialog && (
        <RunDialog
          parameters={doc.parameters}
          busy={runs.starting}
          onClose={runs.closeDialog}
          onRun={(r) => void runs.start(r)}
          onPreview={runs.preview}
          onSweep={runs.dialog.from_node || runs.dialog.only_node ? undefined : (r) => void runs.sweep(r)}
        />
      )}
      {publishing && (
        <PublishDialog
          graphId={graphId}
          workspaceId={initial.workspace}
          graphName={name}
          inferenceGraph={doc.nodes.some((n) => /^ml\.frozen_(model|recommender)@/.test(n.module))}
          beforePublish={collab.saved}
          onClose={() => setPublishing(false)}
        />
      )}
      {help && <ShortcutsDialog onClose={() => setHelp(false)} />}
      {wiring && !readOnly && <WiresDialog subject={wiring} doc={doc} catalogue={catalogue} dispatch={wireDispatch} onClose={closeWiring} />}
    </Shell>
  );
}

/** The run's step for a node, if the node still runs the module that step ran. */
function stepOf(steps: ReadonlyMap<string, StepState>, id: string, module: string | undefined): StepState | undefined {
  const step = steps.get(id);
  return step && step.module === module ? step : undefined;
}
