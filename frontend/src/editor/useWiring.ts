// Wire gestures on the canvas: draw a wire between two ports, or drag a wire's end elsewhere
// (dropped on nothing, the wire goes). Every change is one transaction of the shared document.
import type { Connection, Edge, FinalConnectionState, HandleType, IsValidConnection, OnConnectEnd } from "@xyflow/react";
import { useCallback, useRef, type RefObject } from "react";
import type { Catalogue } from "../graph/catalogue";
import { checkConnection } from "../graph/connection";
import type { GraphDocument } from "../graph/document";
import { connectionAttempt, type WireData } from "../graph/mapping";
import type { Operation } from "../graph/operations";
import { connectWire, reconnectWire, withoutEdge } from "../graph/wiring";

type FlowEdge = Edge<WireData>;

export interface WiringHandlers {
  isValidConnection: IsValidConnection<FlowEdge>;
  onConnect: (c: Connection) => void;
  onConnectEnd: OnConnectEnd;
  onReconnectStart: (event: unknown, edge: FlowEdge) => void;
  onReconnect: (edge: FlowEdge, c: Connection) => void;
  onReconnectEnd: (event: MouseEvent | TouchEvent, edge: FlowEdge, handleType: HandleType, state: FinalConnectionState) => void;
}

export function useWiring(
  docRef: RefObject<GraphDocument>,
  catalogue: Catalogue,
  dispatch: (ops: Operation[]) => void,
  onRefused: (reason: string) => void,
): WiringHandlers {
  /** The wire whose end is being dragged: every check treats it as gone. */
  const moving = useRef<string | null>(null);

  const isValidConnection: IsValidConnection<FlowEdge> = useCallback(
    (c: Connection | FlowEdge) => {
      const attempt = connectionAttempt(c as Connection);
      return attempt !== null && checkConnection(withoutEdge(docRef.current, moving.current), catalogue, attempt).ok;
    },
    [catalogue, docRef],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const attempt = connectionAttempt(c);
      if (!attempt) return;
      const result = connectWire(docRef.current, catalogue, attempt);
      if (result.ok) dispatch(result.ops);
      else onRefused(result.reason);
    },
    [catalogue, dispatch, docRef, onRefused],
  );

  // Dropped on a port that does not fit: say why (React Flow only reports that it did not fit).
  const onConnectEnd: OnConnectEnd = useCallback(
    (_event, state) => {
      if (state.isValid !== false || !state.fromHandle || !state.toHandle || !state.fromNode || !state.toNode) return;
      const from = state.fromHandle;
      const to = state.toHandle;
      const [src, tgt] = from.type === "source" ? [from, to] : [to, from];
      if (!src.id || !tgt.id || src.type === tgt.type) {
        onRefused("Wire an output (bottom) to an input (top).");
        return;
      }
      const attempt = { source: src.nodeId, sourcePort: src.id, target: tgt.nodeId, targetPort: tgt.id };
      const check = checkConnection(withoutEdge(docRef.current, moving.current), catalogue, attempt);
      if (!check.ok) onRefused(check.reason);
    },
    [catalogue, docRef, onRefused],
  );

  const onReconnectStart = useCallback((_event: unknown, edge: FlowEdge) => {
    moving.current = edge.id;
  }, []);

  const onReconnect = useCallback(
    (edge: FlowEdge, c: Connection) => {
      const attempt = connectionAttempt(c);
      if (!attempt) return;
      const result = reconnectWire(docRef.current, catalogue, edge.id, attempt);
      if (result.ok) dispatch(result.ops);
      else onRefused(result.reason);
    },
    [catalogue, dispatch, docRef, onRefused],
  );

  const onReconnectEnd = useCallback(
    (_event: MouseEvent | TouchEvent, edge: FlowEdge, _handleType: HandleType, state: FinalConnectionState) => {
      moving.current = null;
      // Dropped on nothing (not on a port that does not fit): the wire goes.
      if (!state.toHandle && docRef.current.edges.some((e) => e.id === edge.id)) dispatch([{ type: "remove_edge", id: edge.id }]);
    },
    [dispatch, docRef],
  );

  return { isValidConnection, onConnect, onConnectEnd, onReconnectStart, onReconnect, onReconnectEnd };
}
