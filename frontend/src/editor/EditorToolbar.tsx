// The editor's toolbar: save status, undo/redo, comment, layout, fit, shortcuts, runs, publish.
import type { ReactNode } from "react";
import type { RunStatus } from "../api/types";
import { linkProps } from "../router";

export interface SaveStatus {
  /** One of saved, saving, offline, connecting: a CSS modifier. */
  kind: "saved" | "saving" | "offline" | "connecting";
  label: string;
}

interface Props {
  graphId: number;
  save: SaveStatus;
  readOnly: boolean;
  canUndo: boolean;
  canRedo: boolean;
  onUndo: () => void;
  onRedo: () => void;
  onComment: () => void;
  layingOut: boolean;
  onLayout: () => void;
  onFit: () => void;
  onHelp: () => void;
  onPublish: () => void;
  /** The run buttons (RunButtons), kept apart so other run actions can join them. */
  run: ReactNode;
}

export function EditorToolbar({ graphId, save, readOnly, canUndo, canRedo, onUndo, onRedo, onComment, layingOut, onLayout, onFit, onHelp, onPublish, run }: Props) {
  return (
    <div className="editor-toolbar">
      <span className={`save-status save-${save.kind}`} data-testid="save-status" title={save.label}>
        {save.label}
      </span>
      <button className="icon-button" title="Undo your last edit (Ctrl+Z)" aria-label="Undo" disabled={readOnly || !canUndo} onClick={onUndo} data-testid="undo">↶</button>
      <button className="icon-button" title="Redo (Ctrl+Shift+Z)" aria-label="Redo" disabled={readOnly || !canRedo} onClick={onRedo} data-testid="redo">↷</button>
      <button title="Add a comment (N)" disabled={readOnly} onClick={onComment} data-testid="add-comment">Comment</button>
      <button title="Auto-layout (L)" disabled={readOnly || layingOut} onClick={onLayout} data-testid="auto-layout">Layout</button>
      <button title="Zoom to fit (F)" onClick={onFit} data-testid="fit-view">Fit</button>
      <button className="icon-button" title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts" onClick={onHelp}>?</button>
      <a className="button" {...linkProps(`/graphs/${graphId}/runs/`)}>Runs</a>
      <button disabled={readOnly} onClick={onPublish} data-testid="publish-button" title="Publish as an endpoint">Publish</button>
      {run}
    </div>
  );
}

export function RunButtons({ status, running, readOnly, starting, onRun, onCancel, onResume }: {
  status: RunStatus | undefined;
  running: boolean;
  readOnly: boolean;
  starting: boolean;
  /** Run now; with `options`, open the run dialog (parameters, cache, preview) first. */
  onRun: (options: boolean) => void;
  onCancel: () => void;
  onResume: () => void;
}) {
  if (running) {
    return <button className="danger" onClick={onCancel} data-testid="cancel-run">Cancel run</button>;
  }
  return (
    <>
      {status === "failed" && !readOnly && (
        <button onClick={onResume} title="Run the failed steps again with your edits; succeeded steps are reused" data-testid="resume-run">
          Resume
        </button>
      )}
      <span className="split-button">
        <button className="primary" disabled={readOnly || starting} onClick={(e) => onRun(e.shiftKey)} data-testid="run-button" title="Run (Ctrl+Enter); Shift-click for parameters, cache and a preview of the plan">
          {starting ? "Starting…" : "▶ Run"}
        </button>
        <button className="primary" disabled={readOnly || starting} onClick={() => onRun(true)} aria-label="Run with options or preview the plan" title="Run with options, or preview the plan" data-testid="run-options">
          ▾
        </button>
      </span>
    </>
  );
}
