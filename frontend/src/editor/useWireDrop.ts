// Dropping a module onto a wire: which wire is under the pointer while a palette item or a module
// without wires is dragged (the canvas highlights it), remembered until the drop takes it.
import { useCallback, useRef, useState } from "react";

/** The wire drawn under a point of the screen (its interaction stroke counts), if any. */
export function wireAt(x: number, y: number): string | null {
  for (const el of document.elementsFromPoint(x, y)) {
    const edge = el.closest(".react-flow__edge");
    if (edge) return edge.getAttribute("data-id");
  }
  return null;
}

export interface WireDrop {
  /** The wire a drop would go into now (highlighted), or null. */
  target: string | null;
  /** The pointer is at (x, y) on the screen while something droppable is dragged. */
  hoverAt: (x: number, y: number) => void;
  clear: () => void;
  /** The wire under the drop, forgotten afterwards. */
  take: () => string | null;
}

export function useWireDrop(): WireDrop {
  const [target, setTarget] = useState<string | null>(null);
  const current = useRef<string | null>(null);
  const hover = useCallback((id: string | null) => {
    if (current.current === id) return;
    current.current = id;
    setTarget(id);
  }, []);
  const hoverAt = useCallback((x: number, y: number) => hover(wireAt(x, y)), [hover]);
  const clear = useCallback(() => hover(null), [hover]);
  const take = useCallback(() => {
    const id = current.current;
    hover(null);
    return id;
  }, [hover]);
  return { target, hoverAt, clear, take };
}
