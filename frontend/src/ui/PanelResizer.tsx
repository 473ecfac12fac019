// The bottom panel's height: dragged on its top edge or set with the keyboard (a WAI-ARIA window
// splitter), remembered in localStorage for every page that has one.
import { useCallback, useRef, useState } from "react";

const STORAGE_KEY = "designer.bottomPanelHeight";
const DEFAULT_HEIGHT = 280;
const MIN_HEIGHT = 120;
const STEP = 24; // one arrow key press
const ROOM_ABOVE = 160; // what is always left of the page above the panel

/** The largest height that leaves the canvas some room. */
function maxHeight(): number {
  return Math.max(MIN_HEIGHT, window.innerHeight - ROOM_ABOVE);
}

function clamp(height: number): number {
  return Math.round(Math.min(maxHeight(), Math.max(MIN_HEIGHT, height)));
}

function stored(): number {
  const value = Number(localStorage.getItem(STORAGE_KEY));
  return Number.isFinite(value) && value > 0 ? clamp(value) : DEFAULT_HEIGHT;
}

/** The bottom panel's height in pixels, and a setter that keeps it within bounds and remembers it. */
export function usePanelHeight(): [number, (height: number) => void] {
  const [height, setHeight] = useState(stored);
  const set = useCallback((next: number) => {
    const h = clamp(next);
    setHeight(h);
    localStorage.setItem(STORAGE_KEY, String(h));
  }, []);
  return [height, set];
}

/** The handle on the panel's top edge: drag it, or focus it and use the arrow keys, Home and End. */
export function PanelResizer({ height, onResize, label }: { height: number; onResize: (height: number) => void; label: string }) {
  const drag = useRef<{ y: number; height: number } | null>(null);
  const onKeyDown = (e: React.KeyboardEvent) => {
    const next = { ArrowUp: height + STEP, ArrowDown: height - STEP, PageUp: height + 4 * STEP, PageDown: height - 4 * STEP, Home: maxHeight(), End: MIN_HEIGHT }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    onResize(next);
  };
  return (
    <div
      className="panel-resizer"
      role="separator"
      aria-orientation="horizontal"
      aria-label={label}
      aria-valuenow={height}
      aria-valuemin={MIN_HEIGHT}
      aria-valuemax={maxHeight()}
      tabIndex={0}
      data-testid="panel-resizer"
      onKeyDown={onKeyDown}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        e.currentTarget.setPointerCapture(e.pointerId);
        drag.current = { y: e.clientY, height };
      }}
      onPointerMove={(e) => {
        if (drag.current) onResize(drag.current.height + drag.current.y - e.clientY);
      }}
      onPointerUp={() => {
        drag.current = null;
      }}
      onPointerCancel={() => {
        drag.current = null;
      }}
    />
  );
}
