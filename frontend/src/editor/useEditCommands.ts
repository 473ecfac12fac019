// The editor's edit commands: add a module (into a wire when dropped on one), comments, copy/cut/paste/duplicate, delete, auto-layout.
import { useReactFlow } from "@xyflow/react";
import { useCallback, useState } from "react";
import type { ModuleSpec } from "../api/types";
import { defaultParams, type Catalogue } from "../graph/catalogue";
import { copySelection, isFragment, pasteOperations, type Fragment } from "../graph/clipboard";
import { freshId } from "../graph/document";
import { layoutOperations } from "../graph/layout";
import { commentFlowId, commentIdOf, isCommentFlowId, NODE_WIDTH } from "../graph/mapping";
import { deleteOperations, OperationError, type Operation } from "../graph/operations";
import type { DispatchOptions, GraphStore } from "../graph/store";
import { insertIntoWire } from "../graph/wiring";
import type { Selection } from "./useSelection";

const CLIPBOARD_KEY = "designer.clipboard";

export interface EditCommands {
  dispatch: (ops: Operation[], coalesce?: string) => void;
  addModule: (spec: ModuleSpec, at?: { x: number; y: number }, wire?: string | null) => void;
  /** A palette module dropped on the canvas (centred on the point), into `wire` if one is given. */
  dropModule: (ref: string, position: { x: number; y: number }, wire: string | null) => void;
  addComment: () => void;
  copy: () => Fragment | null;
  cut: () => void;
  paste: () => void;
  duplicate: () => void;
  removeSelection: () => void;
  autoLayout: () => Promise<void>;
  layingOut: boolean;
}

export function useEditCommands(
  store: GraphStore,
  catalogue: Catalogue,
  selection: Selection,
  readOnly: boolean,
  toast: (text: string, kind?: "info" | "success" | "error") => void,
  onAdded: () => void,
): EditCommands {
  const flow = useReactFlow();
  const { select } = selection;
  const [layingOut, setLayingOut] = useState(false);

  const dispatch = useCallback(
    (ops: Operation[], coalesce?: string) => {
      if (readOnly) return;
      const options: DispatchOptions = { coalesce };
      try {
        store.dispatch(ops, options);
      } catch (err) {
        if (err instanceof OperationError) toast(`That edit no longer fits the graph (${err.message}).`, "error");
        else throw err;
      }
    },
    [readOnly, store, toast],
  );

  const addModule = useCallback(
    (spec: ModuleSpec, at?: { x: number; y: number }, wire?: string | null) => {
      const current = store.document;
      let position = at;
      if (!position) {
        const rect = document.querySelector(".canvas")?.getBoundingClientRect();
        const center = rect ? { x: rect.left + rect.width / 2, y: rect.top + rect.height / 3 } : { x: 400, y: 300 };
        const k = current.nodes.length % 6;
        const p = flow.screenToFlowPosition(center);
        position = { x: p.x - NODE_WIDTH / 2 + k * 24, y: p.y + k * 24 };
      }
      const id = freshId(current, "n");
      const node = { id, module: spec.ref, params: defaultParams(spec), position: { x: Math.round(position.x), y: Math.round(position.y) } };
      const insert = wire ? insertIntoWire(current, catalogue, wire, node) : null;
      if (insert && !insert.ok) toast(insert.reason, "error"); // the module is added beside the wire
      dispatch([{ type: "add_node", node }, ...(insert?.ok ? insert.ops : [])]);
      select(new Set([id]), new Set());
      onAdded();
    },
    [catalogue, dispatch, flow, onAdded, select, store, toast],
  );

  const dropModule = useCallback(
    (ref: string, position: { x: number; y: number }, wire: string | null) => {
      const spec = catalogue.get(ref);
      if (spec) addModule(spec, { x: position.x - NODE_WIDTH / 2, y: position.y - 20 }, wire);
    },
    [addModule, catalogue],
  );

  const addComment = useCallback(() => {
    if (readOnly) return;
    const rect = document.querySelector(".canvas")?.getBoundingClientRect();
    const p = flow.screenToFlowPosition(rect ? { x: rect.left + 40, y: rect.top + 40 } : { x: 100, y: 100 });
    const id = freshId(store.document, "c");
    dispatch([{ type: "add_comment", comment: { id, text: "", position: { x: Math.round(p.x), y: Math.round(p.y) }, width: 220, height: 120 } }]);
    select(new Set([commentFlowId(id)]), new Set());
  }, [dispatch, flow, readOnly, select, store]);

  const copy = useCallback(() => {
    const comments = [...selection.nodes].filter(isCommentFlowId).map(commentIdOf);
    const fragment = copySelection(store.document, selection.nodes, comments);
    if (fragment.nodes.length === 0 && fragment.comments.length === 0) return null;
    const text = JSON.stringify(fragment);
    localStorage.setItem(CLIPBOARD_KEY, text);
    void navigator.clipboard?.writeText(text).catch(() => undefined);
    return fragment;
  }, [selection.nodes, store]);

  const pasteFragment = useCallback(
    (fragment: Fragment) => {
      const { ops, nodeIds, commentIds } = pasteOperations(store.document, fragment, { x: 40, y: 40 });
      dispatch(ops);
      select(new Set([...nodeIds, ...commentIds.map(commentFlowId)]), new Set());
    },
    [dispatch, select, store],
  );

  const removeSelection = useCallback(() => {
    if (readOnly) return;
    const comments = [...selection.nodes].filter(isCommentFlowId).map(commentIdOf);
    const nodes = [...selection.nodes].filter((id) => !isCommentFlowId(id));
    const ops = deleteOperations(store.document, { nodes, edges: selection.edges, comments });
    if (ops.length > 0) dispatch(ops);
    select(new Set(), new Set());
  }, [dispatch, readOnly, select, selection.edges, selection.nodes, store]);

  const paste = useCallback(() => {
    if (readOnly) return;
    try {
      const parsed: unknown = JSON.parse(localStorage.getItem(CLIPBOARD_KEY) ?? "null");
      if (isFragment(parsed)) pasteFragment(parsed);
    } catch {
      toast("Nothing to paste.", "info");
    }
  }, [pasteFragment, readOnly, toast]);

  const cut = useCallback(() => {
    if (!readOnly && copy()) removeSelection();
  }, [copy, readOnly, removeSelection]);

  const duplicate = useCallback(() => {
    const fragment = copy();
    if (fragment && !readOnly) pasteFragment(fragment);
  }, [copy, pasteFragment, readOnly]);

  const autoLayout = useCallback(async () => {
    if (readOnly) return;
    setLayingOut(true);
    try {
      dispatch(await layoutOperations(store.document));
      window.requestAnimationFrame(() => void flow.fitView({ padding: 0.2, duration: 300, maxZoom: 1 }));
    } finally {
      setLayingOut(false);
    }
  }, [dispatch, flow, readOnly, store]);

  return { dispatch, addModule, dropModule, addComment, copy, cut, paste, duplicate, removeSelection, autoLayout, layingOut };
}
