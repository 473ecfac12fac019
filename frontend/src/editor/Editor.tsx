// The editor page: palette, canvas, inspector, validation, autosave with conflicts, runs watched live.
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { ApiError, api, errorMessage, items } from "../api/client";
import type { Dataset, GraphDetail, Issue, ModuleSpec, Run, StepState, Workspace } from "../api/types";
import { Catalogue, defaultParams } from "../graph/catalogue";
import { copySelection, isFragment, pasteOperations, type Fragment } from "../graph/clipboard";
import { freshId, normalizeDocument, type GraphDocument, type ParamValue } from "../graph/document";
import { layoutOperations } from "../graph/layout";
import { commentFlowId, commentIdOf, isCommentFlowId, issuesByNode, NODE_WIDTH, type Decorations, type DiffMark } from "../graph/mapping";
import { deleteOperations, OperationError, type Operation } from "../graph/operations";
import { GraphStore } from "../graph/store";
import { linkProps } from "../router";
import { OutputPreview } from "../runs/OutputPreview";
import { isFinal } from "../runs/state";
import { useFollowedRun } from "../runs/useFollowedRun";
import { PublishDialog } from "../endpoints/PublishDialog";
import { Dialog } from "../ui/Dialog";
import { Shell } from "../ui/Shell";
import { useToast } from "../ui/toasts";
import { EditorActions, type EditorActionsValue } from "./actions";
import { Canvas } from "./Canvas";
import { keepBoth } from "./conflict";
import { ConflictDialog } from "./ConflictDialog";
import { diffView, type ServerDiff } from "./diff";
import { GraphSettings } from "./GraphSettings";
import { Inspector } from "./Inspector";
import { IssuesPanel } from "./IssuesPanel";
import { SHORTCUTS, useShortcuts } from "./keyboard";
import { labelledIssue } from "./issueText";
import { LogsPanel } from "./LogsPanel";
import { Palette } from "./Palette";
import { RunDialog, type RunRequest } from "./RunDialog";
import { DraftSaver, type Conflict, type SaveState } from "./saver";
import { VersionsPanel } from "./VersionsPanel";

const CLIPBOARD_KEY = "designer.clipboard";
const EMPTY_STEPS: ReadonlyMap<string, StepState> = new Map();
const EMPTY_MARKS: ReadonlyMap<string, DiffMark> = new Map();
const LARGE_GRAPH = 300;

interface Viewing {
  number: number;
  doc: GraphDocument;
  marks: ReadonlyMap<string, DiffMark>;
  compare: boolean;
}

type RightTab = "inspect" | "issues" | "versions";
type BottomTab = "logs" | "preview" | null;

const SAVE_LABEL: Record<SaveState, string> = {
  saved: "All changes saved",
  dirty: "Unsaved changes",
  saving: "Saving…",
  offline: "Offline: will save when the server is back",
  conflict: "Not saved: conflict",
  error: "Not saved",
};

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

function Editor({ initial, catalogue }: { initial: GraphDetail; catalogue: Catalogue }) {
  const graphId = initial.id;
  const toast = useToast();
  const flow = useReactFlow();
  const storeRef = useRef<GraphStore | null>(null);
  if (!storeRef.current) storeRef.current = new GraphStore(normalizeDocument(initial.draft));
  const store = storeRef.current;
  const doc = useSyncExternalStore(store.subscribe, store.getSnapshot);

  const [name, setName] = useState(initial.name);
  const [saveState, setSaveState] = useState<SaveState>("saved");
  const [saveDetail, setSaveDetail] = useState<string | undefined>();
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [resolving, setResolving] = useState(false);
  const [issues, setIssues] = useState<Issue[]>(initial.issues ?? []);
  const [selNodes, setSelNodes] = useState<Set<string>>(new Set());
  const [selEdges, setSelEdges] = useState<Set<string>>(new Set());
  const [rightTab, setRightTab] = useState<RightTab>("inspect");
  const [bottom, setBottom] = useState<BottomTab>(null);
  const [viewing, setViewing] = useState<Viewing | null>(null);
  const [versionsKey, setVersionsKey] = useState(0);
  const [runDialog, setRunDialog] = useState<null | { from_node?: string; only_node?: string }>(null);
  const [starting, setStarting] = useState(false);
  const [preview, setPreview] = useState<{ step: string; port: string } | null>(null);
  const [help, setHelp] = useState(false);
  const [publishing, setPublishing] = useState(false);
  const [layingOut, setLayingOut] = useState(false);
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  useEffect(() => {
    api
      .get<Workspace>(`/api/workspaces/${initial.workspace}/`)
      .then(setWorkspace)
      .catch(() => undefined);
  }, [initial.workspace]);
  const canEdit = workspace?.role !== "viewer";
  const [datasetNames, setDatasetNames] = useState<string[]>([]);
  useEffect(() => {
    api
      .get<Dataset[] | { results: Dataset[] }>(`/api/workspaces/${initial.workspace}/datasets/?limit=500`)
      .then((d) => setDatasetNames(items(d).map((x) => x.name)))
      .catch(() => undefined);
  }, [initial.workspace]);

  // ---- autosave ---------------------------------------------------------------------------
  const saverRef = useRef<DraftSaver | null>(null);
  if (!saverRef.current) {
    saverRef.current = new DraftSaver(graphId, store, initial.etag, {
      onState: (s, d) => {
        setSaveState(s);
        setSaveDetail(d);
      },
      onConflict: setConflict,
      onIssues: setIssues,
    });
  }
  const saver = saverRef.current;
  useEffect(() => store.subscribe(() => saver.changed()), [store, saver]);
  useEffect(() => {
    saver.start();
    return () => saver.stop();
  }, [saver]);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (saver.dirty) {
        void saver.flush();
        e.preventDefault();
      }
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [saver]);

  // ---- live validation --------------------------------------------------------------------
  const validateSeq = useRef(0);
  const loadedDoc = useRef(doc);
  useEffect(() => {
    if (doc === loadedDoc.current) return undefined; // the server sent this document's issues with it
    const seq = ++validateSeq.current;
    const t = window.setTimeout(() => {
      api
        .post<{ issues: Issue[] }>(`/api/graphs/${graphId}/validate/`, doc)
        .then((r) => {
          if (seq === validateSeq.current) setIssues(r.issues);
        })
        .catch(() => undefined);
    }, 350);
    return () => window.clearTimeout(t);
  }, [doc, graphId]);

  // ---- runs -------------------------------------------------------------------------------
  const { runView, follow, socketUp, workspaceLive } = useFollowedRun(graphId, initial.workspace, toast);
  const running = runView !== null && !isFinal(runView.run.status);

  // ---- editing ------------------------------------------------------------------------------
  const readOnly = viewing !== null || !canEdit;
  const dispatch = useCallback(
    (ops: Operation[], coalesce?: string) => {
      if (readOnly) return;
      try {
        store.dispatch(ops, { coalesce });
      } catch (err) {
        if (err instanceof OperationError) toast(`That edit no longer fits the graph (${err.message}).`, "error");
        else throw err;
      }
    },
    [readOnly, store, toast],
  );
  const dispatchOps = useCallback((ops: Operation[]) => dispatch(ops), [dispatch]);

  const select = useCallback((nodes: Set<string>, edges: Set<string>) => {
    setSelNodes(nodes);
    setSelEdges(edges);
  }, []);

  const addModule = useCallback(
    (spec: ModuleSpec, at?: { x: number; y: number }) => {
      const current = store.document;
      let position = at;
      if (!position) {
        const el = document.querySelector(".canvas");
        const rect = el?.getBoundingClientRect();
        const center = rect ? { x: rect.left + rect.width / 2, y: rect.top + rect.height / 3 } : { x: 400, y: 300 };
        position = flow.screenToFlowPosition(center);
        const k = current.nodes.length % 6;
        position = { x: position.x - NODE_WIDTH / 2 + k * 24, y: position.y + k * 24 };
      }
      const id = freshId(current, "n");
      dispatch([{ type: "add_node", node: { id, module: spec.ref, params: defaultParams(spec), position: { x: Math.round(position.x), y: Math.round(position.y) } } }]);
      select(new Set([id]), new Set());
      setRightTab("inspect");
    },
    [dispatch, flow, select, store],
  );
  const onDropModule = useCallback(
    (ref: string, position: { x: number; y: number }) => {
      const spec = catalogue.get(ref);
      if (spec) addModule(spec, { x: position.x - NODE_WIDTH / 2, y: position.y - 20 });
    },
    [addModule, catalogue],
  );
  const onRefused = useCallback((reason: string) => toast(reason, "error"), [toast]);

  const copy = useCallback(() => {
    const comments = [...selNodes].filter(isCommentFlowId).map(commentIdOf);
    const fragment = copySelection(store.document, selNodes, comments);
    if (fragment.nodes.length === 0 && fragment.comments.length === 0) return null;
    const text = JSON.stringify(fragment);
    localStorage.setItem(CLIPBOARD_KEY, text);
    void navigator.clipboard?.writeText(text).catch(() => undefined);
    return fragment;
  }, [selNodes, store]);
  const pasteFragment = useCallback(
    (fragment: Fragment) => {
      const { ops, nodeIds, commentIds } = pasteOperations(store.document, fragment, { x: 40, y: 40 });
      dispatch(ops);
      select(new Set([...nodeIds, ...commentIds.map(commentFlowId)]), new Set());
    },
    [dispatch, select, store],
  );
  const removeSelection = useCallback(() => {
    const comments = [...selNodes].filter(isCommentFlowId).map(commentIdOf);
    const ops = deleteOperations(store.document, { nodes: [...selNodes].filter((id) => !isCommentFlowId(id)), edges: selEdges, comments });
    if (ops.length > 0) dispatch(ops);
    select(new Set(), new Set());
  }, [dispatch, selEdges, selNodes, select, store]);

  const addComment = useCallback(() => {
    const rect = document.querySelector(".canvas")?.getBoundingClientRect();
    const p = flow.screenToFlowPosition(rect ? { x: rect.left + 40, y: rect.top + 40 } : { x: 100, y: 100 });
    const id = freshId(store.document, "c");
    dispatch([{ type: "add_comment", comment: { id, text: "", position: { x: Math.round(p.x), y: Math.round(p.y) }, width: 220, height: 120 } }]);
    select(new Set([commentFlowId(id)]), new Set());
  }, [dispatch, flow, select, store]);

  const autoLayout = useCallback(async () => {
    if (readOnly) return;
    setLayingOut(true);
    try {
      const ops = await layoutOperations(store.document);
      dispatch(ops);
      window.requestAnimationFrame(() => void flow.fitView({ padding: 0.2, duration: 300, maxZoom: 1 }));
    } finally {
      setLayingOut(false);
    }
  }, [dispatch, flow, readOnly, store]);

  const actions: EditorActionsValue = useMemo(
    () => ({
      preview: (step, port) => {
        setPreview({ step, port });
        setBottom("preview");
      },
      updateComment: (id, changes) => dispatch([{ type: "update_comment", id, changes }]),
    }),
    [dispatch],
  );

  // ---- run actions ----------------------------------------------------------------------------
  const labels = useMemo(() => new Map(doc.nodes.map((n) => [n.id, n.label || catalogue.get(n.module)?.display_name || n.id])), [catalogue, doc.nodes]);
  const startRun = useCallback(
    async (req: RunRequest & { from_node?: string; only_node?: string }) => {
      setStarting(true);
      try {
        await saver.flush();
        if (saver.dirty) throw new Error("Save the graph before running it.");
        const run = await api.post<Run>(`/api/graphs/${graphId}/runs/`, req);
        setRunDialog(null);
        follow(run.id);
        if (bottom === null) {
          setBottom("logs");
          window.setTimeout(() => void flow.fitView({ padding: 0.15, duration: 200, maxZoom: 1 }), 50);
        }
        setVersionsKey((k) => k + 1);
      } catch (err) {
        const issueText = err instanceof ApiError && err.issues.length > 0 ? err.issues.map((i) => labelledIssue(i, labels)).join(" · ") : "";
        toast(issueText ? `Cannot run: ${issueText}` : `Cannot run: ${errorMessage(err)}`, "error");
        if (err instanceof ApiError && err.issues.length > 0) {
          setIssues(err.issues);
          setRightTab("issues");
        }
      } finally {
        setStarting(false);
      }
    },
    [bottom, flow, graphId, labels, saver, toast],
  );
  const cancelRun = useCallback(async () => {
    if (!runView) return;
    try {
      await api.post(`/api/runs/${runView.run.id}/cancel/`);
    } catch (err) {
      toast(`Could not cancel: ${errorMessage(err)}`, "error");
    }
  }, [runView, toast]);
  const resumeRun = useCallback(async () => {
    if (!runView) return;
    try {
      await saver.flush();
      const params = Object.fromEntries(store.document.nodes.filter((n) => runView.steps.has(n.id)).map((n) => [n.id, n.params]));
      const run = await api.post<Run>(`/api/runs/${runView.run.id}/resume/`, { params });
      follow(run.id);
      setVersionsKey((k) => k + 1);
    } catch (err) {
      toast(`Could not resume: ${errorMessage(err)}`, "error");
    }
  }, [runView, saver, store, toast]);

  // ---- conflicts ----------------------------------------------------------------------------
  const reloadFromServer = useCallback(async () => {
    const g = await api.get<GraphDetail>(`/api/graphs/${graphId}/`);
    const fresh = normalizeDocument(g.draft);
    loadedDoc.current = fresh;
    store.reset(fresh);
    saver.adopt(g.etag);
    setIssues(g.issues ?? []);
    setName(g.name);
  }, [graphId, saver, store]);
  const loadTheirs = useCallback(() => {
    if (!conflict) return;
    store.reset(normalizeDocument(conflict.theirs));
    saver.adopt(conflict.etag);
    setConflict(null);
    toast("Loaded the version saved by someone else.", "info");
  }, [conflict, saver, store, toast]);
  const keepMine = useCallback(async () => {
    if (!conflict) return;
    setResolving(true);
    try {
      saver.adopt(await keepBoth(graphId, store.document));
      setConflict(null);
      setVersionsKey((k) => k + 1);
      toast("Both versions are in the history; yours is the draft.", "success");
    } catch (err) {
      toast(`Could not keep your version: ${errorMessage(err)}`, "error");
    } finally {
      setResolving(false);
    }
  }, [conflict, graphId, saver, store, toast]);
  const downloadMine = useCallback(() => {
    const blob = new Blob([JSON.stringify(store.document, null, 2)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${name.replace(/[^\w.-]+/g, "_") || "graph"}-mine.json`;
    a.click();
    URL.revokeObjectURL(a.href);
  }, [name, store]);

  // ---- versions -----------------------------------------------------------------------------
  const openVersion = useCallback(
    async (n: number, compare: boolean) => {
      try {
        if (compare) {
          await saver.flush();
          const diff = await api.get<ServerDiff>(`/api/graphs/${graphId}/diff/?from=${n}&to=draft`);
          const view = diffView(store.document, diff);
          setViewing({ number: n, doc: view.doc, marks: view.marks, compare: true });
        } else {
          const v = await api.get<{ document: GraphDocument }>(`/api/graphs/${graphId}/versions/${n}/`);
          setViewing({ number: n, doc: normalizeDocument(v.document), marks: EMPTY_MARKS, compare: false });
        }
        select(new Set(), new Set());
        window.requestAnimationFrame(() => void flow.fitView({ padding: 0.2, duration: 200, maxZoom: 1 }));
      } catch (err) {
        toast(errorMessage(err), "error");
      }
    },
    [flow, graphId, saver, select, store, toast],
  );
  const restoreVersion = useCallback(
    async (n: number) => {
      try {
        await saver.flush();
        if (saver.dirty) throw new Error("Resolve unsaved changes first.");
        await api.post(`/api/graphs/${graphId}/versions/${n}/restore/`);
        await reloadFromServer();
        setViewing(null);
        toast(`Restored version ${n} as the draft.`, "success");
      } catch (err) {
        toast(`Could not restore: ${errorMessage(err)}`, "error");
      }
    },
    [graphId, reloadFromServer, saver, toast],
  );

  // ---- shortcuts ----------------------------------------------------------------------------
  useShortcuts(
    {
      undo: () => !readOnly && store.undo(),
      redo: () => !readOnly && store.redo(),
      copy: () => void copy(),
      cut: () => {
        if (!readOnly && copy()) removeSelection();
      },
      paste: () => {
        if (readOnly) return;
        try {
          const parsed: unknown = JSON.parse(localStorage.getItem(CLIPBOARD_KEY) ?? "null");
          if (isFragment(parsed)) pasteFragment(parsed);
        } catch {
          toast("Nothing to paste.", "info");
        }
      },
      duplicate: () => {
        const f = copy();
        if (f && !readOnly) pasteFragment(f);
      },
      remove: () => !readOnly && removeSelection(),
      selectAll: () => select(new Set([...doc.nodes.map((n) => n.id), ...doc.comments.map((c) => commentFlowId(c.id))]), new Set(doc.edges.map((e) => e.id))),
      escape: () => {
        if (viewing) setViewing(null);
        else select(new Set(), new Set());
      },
      fit: () => void flow.fitView({ padding: 0.2, duration: 200, maxZoom: 1 }),
      layout: () => void autoLayout(),
      comment: () => !readOnly && addComment(),
      search: () => document.getElementById("palette-search")?.focus(),
      run: () => !readOnly && !running && setRunDialog({}),
      help: () => setHelp(true),
    },
    conflict === null,
  );

  // ---- derived view -------------------------------------------------------------------------
  const shownDoc = viewing ? viewing.doc : doc;
  const large = shownDoc.nodes.length > LARGE_GRAPH;
  const byNode = useMemo(() => issuesByNode(viewing ? [] : issues), [issues, viewing]);
  const steps = viewing ? EMPTY_STEPS : (runView?.steps ?? EMPTY_STEPS);
  const deco: Decorations = useMemo(
    () => ({ catalogue, issuesByNode: byNode, steps, diff: viewing?.marks ?? EMPTY_MARKS, selected: selNodes, readOnly, estimateSizes: large }),
    [byNode, catalogue, large, readOnly, selNodes, steps, viewing],
  );
  const selectedNode = selNodes.size === 1 ? shownDoc.nodes.find((n) => selNodes.has(n.id)) : undefined;
  const upstreamColumns = useMemo(() => {
    if (!selectedNode || !runView) return null;
    const names = new Set<string>();
    let known = false;
    const modules = new Map(doc.nodes.map((n) => [n.id, n.module]));
    for (const e of doc.edges) {
      if (e.target.node !== selectedNode.id) continue;
      const summary = stepOf(runView.steps, e.source.node, modules.get(e.source.node))?.outputs?.[e.source.port]?.summary;
      const cols = summary?.columns;
      if (Array.isArray(cols)) {
        known = true;
        for (const c of cols) names.add(typeof c === "string" ? c : c.name);
      }
    }
    return known ? [...names] : null;
  }, [doc.edges, doc.nodes, runView, selectedNode]);
  const previewOutput = preview && runView ? runView.steps.get(preview.step)?.outputs?.[preview.port] : undefined;

  const showNode = useCallback(
    (id: string) => {
      select(new Set([id]), new Set());
      const n = store.document.nodes.find((x) => x.id === id);
      if (n) void flow.setCenter(n.position.x + NODE_WIDTH / 2, n.position.y + 60, { zoom: 1, duration: 250 });
      setRightTab("inspect");
    },
    [flow, select, store],
  );
  const setParam = useCallback(
    (name: string, value: ParamValue | undefined) => {
      if (selectedNode) dispatch([{ type: "set_param", node: selectedNode.id, name, value }], `${selectedNode.id}.${name}`);
    },
    [dispatch, selectedNode],
  );
  const setLabel = useCallback(
    (label: string) => {
      if (selectedNode) dispatch([{ type: "set_label", node: selectedNode.id, label }], `${selectedNode.id}.label`);
    },
    [dispatch, selectedNode],
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

  const runStatus = runView?.run.status;
  const toolbar = (
    <div className="editor-toolbar">
      <span className={`save-status save-${saveState}`} data-testid="save-status" title={saveDetail}>
        {SAVE_LABEL[saveState]}
        {saveDetail && saveState === "error" ? `: ${saveDetail}` : ""}
      </span>
      <button className="icon-button" title="Undo (Ctrl+Z)" aria-label="Undo" disabled={readOnly || !store.canUndo} onClick={() => store.undo()} data-testid="undo">↶</button>
      <button className="icon-button" title="Redo (Ctrl+Shift+Z)" aria-label="Redo" disabled={readOnly || !store.canRedo} onClick={() => store.redo()} data-testid="redo">↷</button>
      <button title="Add a comment (N)" disabled={readOnly} onClick={addComment} data-testid="add-comment">Comment</button>
      <button title="Auto-layout (L)" disabled={readOnly || layingOut} onClick={() => void autoLayout()} data-testid="auto-layout">Layout</button>
      <button title="Zoom to fit (F)" onClick={() => void flow.fitView({ padding: 0.2, duration: 200, maxZoom: 1 })} data-testid="fit-view">Fit</button>
      <button className="icon-button" title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts" onClick={() => setHelp(true)}>?</button>
      <a className="button" {...linkProps(`/graphs/${graphId}/runs/`)}>Runs</a>
      <button disabled={readOnly} onClick={() => setPublishing(true)} data-testid="publish-button" title="Publish as an endpoint">Publish</button>
      {running ? (
        <button className="danger" onClick={() => void cancelRun()} data-testid="cancel-run">Cancel run</button>
      ) : (
        <>
          {runStatus === "failed" && !readOnly && (
            <button onClick={() => void resumeRun()} title="Run the failed steps again with your edits; succeeded steps are reused" data-testid="resume-run">
              Resume
            </button>
          )}
          <button className="primary" disabled={readOnly || starting} onClick={() => setRunDialog({})} data-testid="run-button" title="Run (Ctrl+Enter)">
            ▶ Run
          </button>
        </>
      )}
    </div>
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
      <EditorActions.Provider value={actions}>
        <div className={`editor${bottom ? " with-bottom" : ""}`} data-testid="editor" data-live={workspaceLive}>
          <Palette catalogue={catalogue} onAdd={addModule} disabled={readOnly} />
          <div className="editor-center">
            {viewing && (
              <div className="viewing-banner" data-testid="viewing-banner">
                {viewing.compare ? (
                  <>
                    Comparing version {viewing.number} with the draft:
                    <span className="legend legend-added">added</span>
                    <span className="legend legend-changed">changed</span>
                    <span className="legend legend-removed">removed</span>
                  </>
                ) : (
                  <>Viewing version {viewing.number} (read-only).</>
                )}
                {canEdit && <button onClick={() => void restoreVersion(viewing.number)}>Restore this version</button>}
                <button className="primary" onClick={() => setViewing(null)}>Back to the draft</button>
              </div>
            )}
            {!canEdit && !viewing && <div className="viewing-banner">You are a viewer in this workspace: the pipeline is read-only.</div>}
            {!socketUp && running && <div className="viewing-banner warn">Live updates interrupted; reconnecting…</div>}
            <button className="graph-name" onClick={() => void rename()} title="Rename" data-testid="graph-name">{name}</button>
            {runView && !viewing && (
              <div className={`run-chip run-${runView.run.status}`} data-testid="run-status" data-status={runView.run.status}>
                Run {runView.run.id}: {runView.run.status}
                {runView.finished ? ` · ${runView.finished.counts.ran ?? 0} ran, ${runView.finished.counts.reused ?? 0} reused · ${runView.finished.duration.toFixed(1)} s` : ""}
              </div>
            )}
            <Canvas
              doc={shownDoc}
              deco={deco}
              catalogue={catalogue}
              selectedEdges={selEdges}
              onSelection={select}
              dispatch={dispatchOps}
              onRefused={onRefused}
              onDropModule={onDropModule}
              onlyRenderVisible={large}
            />
            {shownDoc.nodes.length === 0 && !viewing && (
              <div className="canvas-empty">
                <p>Drag a module from the left onto the canvas, or double-click it.</p>
                <p className="muted small">Press ? for keyboard shortcuts.</p>
              </div>
            )}
          </div>
          <aside className="sidebar" aria-label="Details">
            <div className="tabs" role="tablist">
              <button role="tab" aria-selected={rightTab === "inspect"} onClick={() => setRightTab("inspect")}>Inspector</button>
              <button role="tab" aria-selected={rightTab === "issues"} onClick={() => setRightTab("issues")} data-testid="issues-tab">
                Issues {issues.length > 0 && <span className="tab-count" data-testid="issue-count">{issues.length}</span>}
              </button>
              <button role="tab" aria-selected={rightTab === "versions"} onClick={() => setRightTab("versions")} data-testid="versions-tab">Versions</button>
            </div>
            <div className="sidebar-body">
              {rightTab === "inspect" &&
                (selectedNode ? (
                  <Inspector
                    node={selectedNode}
                    spec={catalogue.get(selectedNode.module)}
                    issues={byNode.get(selectedNode.id) ?? []}
                    step={stepOf(steps, selectedNode.id, selectedNode.module)}
                    columns={upstreamColumns}
                    datasets={datasetNames}
                    pipelineParams={Object.keys(doc.parameters)}
                    readOnly={readOnly}
                    onParam={setParam}
                    onLabel={setLabel}
                    onRunFrom={running ? undefined : (mode) => setRunDialog(mode === "from" ? { from_node: selectedNode.id } : { only_node: selectedNode.id })}
                  />
                ) : (
                  <GraphSettings doc={doc} readOnly={readOnly} dispatch={dispatch} selectionSize={selNodes.size} />
                ))}
              {rightTab === "issues" && <IssuesPanel issues={issues} labels={labels} onShow={showNode} />}
              {rightTab === "versions" && (
                <VersionsPanel
                  graphId={graphId}
                  viewing={viewing?.number ?? null}
                  canEdit={canEdit}
                  beforeCommit={() => saver.flush()}
                  onOpen={(n, compare) => void openVersion(n, compare)}
                  onRestore={(n) => void restoreVersion(n)}
                  refreshKey={versionsKey}
                />
              )}
            </div>
          </aside>
          {bottom && (
            <section className="bottom-panel">
              <div className="tabs bottom-tabs" role="tablist">
                <button role="tab" aria-selected={bottom === "logs"} onClick={() => setBottom("logs")} data-testid="logs-tab">Logs</button>
                <button role="tab" aria-selected={bottom === "preview"} disabled={!preview} onClick={() => setBottom("preview")}>Output preview</button>
                <span className="spacer" />
                <button className="icon-button" aria-label="Close panel" onClick={() => setBottom(null)}>×</button>
              </div>
              {bottom === "logs" && <LogsPanel logs={runView?.logs ?? []} steps={[...(runView?.steps.keys() ?? [])]} labels={labels} />}
              {bottom === "preview" && preview && runView && previewOutput && (
                <OutputPreview
                  key={`${runView.run.id}-${preview.step}-${preview.port}`}
                  runId={runView.run.id}
                  step={preview.step}
                  port={preview.port}
                  output={previewOutput}
                  title={labels.get(preview.step) ?? preview.step}
                  onClose={() => setBottom("logs")}
                />
              )}
            </section>
          )}
          {!bottom && runView && (
            <button className="bottom-reopen" onClick={() => setBottom("logs")} data-testid="open-logs">Logs</button>
          )}
        </div>
      </EditorActions.Provider>
      {runDialog && (
        <RunDialog parameters={doc.parameters} busy={starting} onClose={() => setRunDialog(null)} onRun={(r) => void startRun({ ...r, ...runDialog })} />
      )}
      {publishing && (
        <PublishDialog graphId={graphId} workspaceId={initial.workspace} graphName={name} beforePublish={() => saver.flush()} onClose={() => setPublishing(false)} />
      )}
      {conflict && <ConflictDialog busy={resolving} onLoadTheirs={loadTheirs} onKeepMine={() => void keepMine()} onDownloadMine={downloadMine} />}
      {help && (
        <Dialog title="Keyboard shortcuts" onClose={() => setHelp(false)}>
          <table className="shortcuts">
            <tbody>
              {SHORTCUTS.map(([k, v]) => (
                <tr key={k}>
                  <td><kbd>{k}</kbd></td>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Dialog>
      )}
    </Shell>
  );
}

/** The run's step for a node, if the node still runs the module that step ran. */
function stepOf(steps: ReadonlyMap<string, StepState>, id: string, module: string | undefined): StepState | undefined {
  const step = steps.get(id);
  return step && step.module === module ? step : undefined;
}
