// Editor keyboard shortcuts, ignored while typing in a field.
import { useEffect, useRef } from "react";

export interface ShortcutHandlers {
  undo: () => void;
  redo: () => void;
  copy: () => void;
  cut: () => void;
  paste: () => void;
  duplicate: () => void;
  remove: () => void;
  selectAll: () => void;
  escape: () => void;
  fit: () => void;
  layout: () => void;
  comment: () => void;
  search: () => void;
  /** The Wires dialog of the focused or selected module or wire, or the focused palette module. */
  wire: () => void;
  /** Run now; with Shift, open the run dialog first. */
  run: (options: boolean) => void;
  help: () => void;
}

export const SHORTCUTS: [string, string][] = [
  ["Ctrl/⌘ Z", "Undo"],
  ["Ctrl/⌘ Shift Z, Ctrl Y", "Redo"],
  ["Ctrl/⌘ C / X / V", "Copy, cut, paste (wires inside the selection come along)"],
  ["Ctrl/⌘ D", "Duplicate the selection"],
  ["Delete, Backspace", "Delete the selection"],
  ["Ctrl/⌘ A", "Select everything"],
  ["Shift drag", "Select with a box; Ctrl/⌘ click adds to the selection"],
  ["Tab, then arrows", "Focus a module and move the selection (Shift: further)"],
  ["W", "Wire what has focus or is selected: a module (connect or disconnect its ports), a wire (move its start or end, put a module into it, remove it) or a palette module (put it into a wire)"],
  ["F", "Zoom to fit"],
  ["L", "Auto-layout"],
  ["N", "New comment"],
  ["/", "Search modules"],
  ["Ctrl/⌘ Enter", "Run (with Shift: parameters, cache, preview)"],
  ["?", "This list"],
];

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

export function useShortcuts(handlers: ShortcutHandlers, enabled: boolean): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (!enabled) return undefined;
    const onKey = (e: KeyboardEvent) => {
      if (document.querySelector(".dialog-backdrop")) return;
      const h = ref.current;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === "enter") {
        e.preventDefault();
        h.run(e.shiftKey);
        return;
      }
      if (typing(e.target)) return;
      let handled = true;
      if (mod && key === "z" && !e.shiftKey) h.undo();
      else if (mod && ((key === "z" && e.shiftKey) || key === "y")) h.redo();
      else if (mod && key === "c") h.copy();
      else if (mod && key === "x") h.cut();
      else if (mod && key === "v") h.paste();
      else if (mod && key === "d") h.duplicate();
      else if (mod && key === "a") h.selectAll();
      else if (mod) handled = false;
      else if (key === "delete" || key === "backspace") h.remove();
      else if (key === "escape") h.escape();
      else if (key === "f") h.fit();
      else if (key === "l") h.layout();
      else if (key === "n") h.comment();
      else if (key === "/") h.search();
      else if (key === "w") h.wire();
      else if (e.key === "?") h.help();
      else handled = false;
      if (handled) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}
