// Presence of the people who have the graph open: their selection, pointer and the node open in
// their inspector, carried by y-protocols awareness (the server sets each state's `user`).
import { useSyncExternalStore } from "react";
import type { Awareness } from "y-protocols/awareness";
import type { NodePresence } from "../graph/mapping";
import type { Collaborator, Point, PresenceState } from "../protocol.gen";

export interface RemotePresence {
  clientId: number;
  user: Collaborator;
  selection: { nodes: string[]; edges: string[] };
  pointer: Point | null;
  editing: string | null;
}

const POINTER_INTERVAL_MS = 50;

export function emptyPresence(): Omit<PresenceState, "user"> {
  return { selection: { nodes: [], edges: [] }, pointer: null, editing: null, cursor: null };
}

/** Everyone else's presence, newest state per browser tab, re-read on every change. */
export function usePresence(awareness: Awareness): readonly RemotePresence[] {
  return useSyncExternalStore(
    (onChange) => {
      awareness.on("change", onChange);
      return () => awareness.off("change", onChange);
    },
    () => snapshot(awareness),
  );
}

const snapshots = new WeakMap<Awareness, { key: string; list: RemotePresence[] }>();

function snapshot(awareness: Awareness): readonly RemotePresence[] {
  // useSyncExternalStore needs the same array until something changed: key it on the clocks.
  const states = awareness.getStates();
  let clock = 0;
  for (const meta of awareness.meta.values()) clock += meta.clock;
  const key = `${clock}:${states.size}`;
  const cached = snapshots.get(awareness);
  if (cached?.key === key) return cached.list;
  const list: RemotePresence[] = [];
  states.forEach((state, clientId) => {
    const s = state as Partial<PresenceState>;
    if (clientId === awareness.clientID || !s.user) return;
    list.push({ clientId, user: s.user, selection: s.selection ?? { nodes: [], edges: [] }, pointer: s.pointer ?? null, editing: s.editing ?? null });
  });
  snapshots.set(awareness, { key, list });
  return list;
}

/** The people in the room, once each (a user with two tabs is one avatar). */
export function distinctUsers(presences: readonly RemotePresence[]): RemotePresence[] {
  const seen = new Map<number, RemotePresence>();
  for (const p of presences) if (!seen.has(p.user.id) || p.editing) seen.set(p.user.id, p);
  return [...seen.values()];
}

/** Who has each node selected or open in their inspector. */
export function presenceByNode(presences: readonly RemotePresence[]): ReadonlyMap<string, readonly NodePresence[]> {
  const byNode = new Map<string, NodePresence[]>();
  for (const p of presences) {
    for (const id of new Set([...p.selection.nodes, ...(p.editing ? [p.editing] : [])])) {
      byNode.set(id, [...(byNode.get(id) ?? []), { name: p.user.name, color: p.user.color, editing: p.editing === id }]);
    }
  }
  return byNode;
}

/** Writes this browser's own presence; pointer moves are sent at most every 50 ms. */
export class LocalPresence {
  private pointerTimer: number | undefined;
  private pendingPointer: Point | null | undefined;

  constructor(private readonly awareness: Awareness) {}

  selection(nodes: Iterable<string>, edges: Iterable<string>): void {
    this.awareness.setLocalStateField("selection", { nodes: [...nodes], edges: [...edges] });
  }

  editing(node: string | null): void {
    if (this.awareness.getLocalState()?.editing !== node) this.awareness.setLocalStateField("editing", node);
  }

  pointer(at: Point | null): void {
    this.pendingPointer = at;
    if (this.pointerTimer !== undefined) return;
    this.flushPointer();
    this.pointerTimer = window.setTimeout(() => {
      this.pointerTimer = undefined;
      if (this.pendingPointer !== undefined) this.flushPointer();
    }, POINTER_INTERVAL_MS);
  }

  private flushPointer(): void {
    const at = this.pendingPointer;
    this.pendingPointer = undefined;
    if (at === undefined) return;
    this.awareness.setLocalStateField("pointer", at && { x: Math.round(at.x), y: Math.round(at.y) });
  }
}
