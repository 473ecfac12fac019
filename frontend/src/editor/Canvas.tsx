// The React Flow canvas: renders the document through the mapping, turns gestures into operations.
import {
  Background,
  BackgroundVariant,
  ConnectionMode,
  Controls,
  MiniMap,
  ReactFlow,
  applyNodeChanges,
  useReactFlow,
  type Edge,
  type EdgeChange,
  type NodeChange,
  type OnNodeDrag,
} from "@xyflow/react";
import { memo, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { Catalogue } from "../graph/catalogue";
import type { GraphDocument } from "../graph/document";
import {
  finishedDrags,
  moveOperations,
  toFlowEdges,
  toFlowNodes,
  type Decorations,
  type FlowNode,
  type FlowNodeCache,
  type ModuleFlowNode,
  type WireData,
} from "../graph/mapping";
import type { Operation } from "../graph/operations";
import { insertIntoWire, isWired } from "../graph/wiring";
import { CommentNode } from "./CommentNode";
import { ModuleNode } from "./ModuleNode";
import { MODULE_MIME } from "./Palette";
import { useWireDrop } from "./useWireDrop";
import { useWiring } from "./useWiring";

const nodeTypes = { module: ModuleNode, comment: CommentNode };
const PORT_COLORS: Record<string, string> = {
  DataFrame: "#2f6fed",
  Model: "#8b5cf6",
  Transform: "#0d9488",
  Recommender: "#65a30d",
  Metrics: "#ea580c",
  Figures: "#db2777",
  Any: "#6b7280",
};

interface Props {
  doc: GraphDocument;
  deco: Decorations;
  catalogue: Catalogue;
  selectedEdges: ReadonlySet<string>;
  onSelection: (nodes: Set<string>, edges: Set<string>) => void;
  dispatch: (ops: Operation[]) => void;
  onRefused: (reason: string) => void;
  /** A palette module dropped at a place on the canvas, onto a wire (its id) or not (null). */
  onDropModule: (ref: string, position: { x: number; y: number }, wire: string | null) => void;
  /** The mouse moved on the canvas (graph coordinates), or left it (null). */
  onPointer: (at: { x: number; y: number } | null) => void;
  onlyRenderVisible: boolean;
  /** Drawn inside the flow (e.g. other people's pointers in a ViewportPortal). */
  children?: ReactNode;
}

function CanvasView({ doc, deco, catalogue, selectedEdges, onSelection, dispatch, onRefused, onDropModule, onPointer, onlyRenderVisible, children }: Props) {
  const cache = useRef<FlowNodeCache>(new Map());
  const dragging = useRef(new Map<string, { x: number; y: number }>());
  const [nodes, setNodes] = useState<FlowNode[]>(() => toFlowNodes(doc, deco, cache.current));
  const { screenToFlowPosition } = useReactFlow();
  const docRef = useRef(doc);
  docRef.current = doc;
  const selRef = useRef({ nodes: deco.selected, edges: selectedEdges });
  selRef.current = { nodes: deco.selected, edges: selectedEdges };

  useEffect(() => {
    const mapped = toFlowNodes(doc, deco, cache.current);
    setNodes(
      dragging.current.size === 0
        ? mapped
        : mapped.map((n) => {
            const p = dragging.current.get(n.id);
            return p ? { ...n, position: p } : n;
          }),
    );
  }, [doc, deco]);

  // Fit once when the graph opens with modules; an empty graph keeps its viewport, so the first
  // module dropped stays where it was dropped (a queued fit would otherwise run when it appears).
  const [fitOnOpen] = useState(() => doc.nodes.length > 0);
  // A large graph opens on its top-left corner at a readable zoom; the minimap shows the rest.
  const [initialFit] = useState(() => (onlyRenderVisible ? { padding: 0.1, maxZoom: 1, nodes: cornerNodes(doc) } : { padding: 0.2, maxZoom: 1 }));
  const { target: dropTarget, hoverAt, clear: clearDrop, take: takeDrop } = useWireDrop();
  const wiring = useWiring(docRef, catalogue, dispatch, onRefused);
  const edges = useMemo(() => toFlowEdges(doc, catalogue, selectedEdges, dropTarget), [doc, catalogue, selectedEdges, dropTarget]);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      let selectionChanged = false;
      const nextSel = new Set(selRef.current.nodes);
      const local: NodeChange<FlowNode>[] = [];
      for (const c of changes) {
        if (c.type === "select") {
          selectionChanged = true;
          if (c.selected) nextSel.add(c.id);
          else nextSel.delete(c.id);
        } else if (c.type === "position") {
          if (c.dragging && c.position) dragging.current.set(c.id, c.position);
          else dragging.current.delete(c.id);
          local.push(c);
        } else if (c.type === "dimensions") {
          local.push(c);
        }
      }
      if (local.length > 0) {
        setNodes((ns) => {
          const measuredNow = new Set(local.filter((c) => c.type === "dimensions").map((c) => c.id));
          const next = applyNodeChanges(local, ns).map((n) => (measuredNow.has(n.id) ? dropEstimates(n) : n));
          // Keep measured sizes in the cache so re-mapping never makes React Flow measure again.
          for (const n of next) if (cache.current.get(n.id) !== n && n.measured) cache.current.set(n.id, n);
          return next;
        });
      }
      const done = finishedDrags(changes);
      if (done.size > 0) {
        const ops = moveOperations(docRef.current, done);
        const wire = takeDrop();
        const [moved] = done.keys();
        const node = done.size === 1 && wire ? docRef.current.nodes.find((n) => n.id === moved) : undefined;
        const insert = node && wire ? insertIntoWire(docRef.current, catalogue, wire, node) : null;
        if (insert && !insert.ok) onRefused(insert.reason);
        const all = insert?.ok ? [...ops, ...insert.ops] : ops;
        if (all.length > 0) dispatch(all); // a move and the rewiring: one undo step
      }
      if (selectionChanged) onSelection(nextSel, new Set(selRef.current.edges));
    },
    [catalogue, dispatch, onRefused, onSelection, takeDrop],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange<Edge<WireData>>[]) => {
      const next = new Set(selRef.current.edges);
      let changed = false;
      for (const c of changes) {
        if (c.type === "select") {
          changed = true;
          if (c.selected) next.add(c.id);
          else next.delete(c.id);
        }
      }
      if (changed) onSelection(new Set(selRef.current.nodes), next);
    },
    [onSelection],
  );

  const onDrop = useCallback(
    (e: React.DragEvent) => {
      const ref = e.dataTransfer.getData(MODULE_MIME);
      const wire = takeDrop();
      if (!ref) return;
      e.preventDefault();
      onDropModule(ref, screenToFlowPosition({ x: e.clientX, y: e.clientY }), wire);
    },
    [onDropModule, screenToFlowPosition, takeDrop],
  );

  // A lone module dragged over a wire goes into it when dropped (see onNodesChange).
  const onNodeDrag: OnNodeDrag<FlowNode> = useCallback(
    (event, node, dragged) => {
      const at = "clientX" in event ? event : event.changedTouches[0];
      if (at && dragged.length === 1 && node.type === "module" && !isWired(docRef.current, node.id)) hoverAt(at.clientX, at.clientY);
      else clearDrop();
    },
    [clearDrop, hoverAt],
  );

  return (
    <div
      className="canvas"
      data-testid="canvas"
      onMouseMove={(e) => onPointer(screenToFlowPosition({ x: e.clientX, y: e.clientY }))}
      onMouseLeave={() => onPointer(null)}
      onDrop={onDrop}
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes(MODULE_MIME)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
        hoverAt(e.clientX, e.clientY);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) clearDrop();
      }}
    >
      <ReactFlow<FlowNode, Edge<WireData>>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDrag={onNodeDrag}
        onNodeDragStop={clearDrop}
        {...wiring}
        edgesReconnectable={!deco.readOnly}
        reconnectRadius={RECONNECT_RADIUS}
        connectionMode={ConnectionMode.Strict}
        nodesDraggable={!deco.readOnly}
        nodesConnectable={!deco.readOnly}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={MULTI_SELECT_KEYS}
        onlyRenderVisibleElements={onlyRenderVisible}
        minZoom={0.1}
        maxZoom={2}
        fitView={fitOnOpen}
        fitViewOptions={initialFit}
        proOptions={PRO_OPTIONS}
        defaultEdgeOptions={EDGE_OPTIONS}
        ariaLabelConfig={ARIA_LABELS}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1} />
        <MiniMap<FlowNode> pannable zoomable nodeColor={minimapColor} nodeStrokeWidth={2} />
        <Controls showInteractive={false} />
        {children}
      </ReactFlow>
    </div>
  );
}

/** A node React Flow has now measured loses its estimated handle places (see estimatedGeometry):
 * React Flow keeps the handle bounds it measured only while the node passes none of its own. */
function dropEstimates(n: FlowNode): FlowNode {
  if (!n.handles) return n;
  const { handles: _estimated, ...measured } = n;
  return measured as FlowNode;
}

/** Nodes in the top-left 2,400 × 1,400 px of the graph: what fits on screen at half zoom. */
function cornerNodes(doc: GraphDocument): { id: string }[] {
  const minX = Math.min(...doc.nodes.map((n) => n.position.x));
  const minY = Math.min(...doc.nodes.map((n) => n.position.y));
  return doc.nodes.filter((n) => n.position.x < minX + 2400 && n.position.y < minY + 1400).map((n) => ({ id: n.id }));
}

/** Stable props: new objects or functions here would re-render every minimap node on each drag frame. */
const PRO_OPTIONS = { hideAttribution: true };
const EDGE_OPTIONS = { interactionWidth: 28 };
const RECONNECT_RADIUS = 14;
const MULTI_SELECT_KEYS = ["Meta", "Control"];
/** What a screen reader adds on a focused module or wire: the editor's keys, W (wiring) among them.
 * React Flow reads the second module text while keyboard use is on, so both say the same. */
const NODE_KEYS = "Press Enter or Space to select this module, then the arrow keys to move it. Press W to wire its ports, Delete to remove it, Escape to cancel.";
const EDGE_KEYS = "Press Enter or Space to select this wire. Press W to move its start or end or put a module into it, Delete to remove it, Escape to cancel.";
const ARIA_LABELS = { "node.a11yDescription.default": NODE_KEYS, "node.a11yDescription.keyboardDisabled": NODE_KEYS, "edge.a11yDescription.default": EDGE_KEYS };

function minimapColor(n: FlowNode): string {
  return n.type === "module" ? statusColor(n) : "#fde68a";
}

function statusColor(n: ModuleFlowNode): string {
  const s = n.data.step?.status;
  if (s === "succeeded") return "#16a34a";
  if (s === "reused") return "#0891b2";
  if (s === "failed" || s === "upstream_failed") return "#dc2626";
  if (s === "running" || s === "retrying") return "#2563eb";
  if (n.data.issues.length > 0) return "#f59e0b";
  const first = n.data.spec?.outputs[0]?.type;
  return first ? PORT_COLORS[first] : "#94a3b8";
}

export const Canvas = memo(CanvasView);
