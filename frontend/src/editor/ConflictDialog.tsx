// Someone else saved the graph first: load theirs, or keep yours as a new version (both kept in history).
import { Dialog } from "../ui/Dialog";

export function ConflictDialog({ busy, onLoadTheirs, onKeepMine, onDownloadMine }: { busy: boolean; onLoadTheirs: () => void; onKeepMine: () => void; onDownloadMine: () => void }) {
  return (
    <Dialog
      title="Someone else changed this graph"
      testId="conflict-dialog"
      footer={
        <>
          <button onClick={onLoadTheirs} disabled={busy} data-testid="conflict-load-theirs">
            Load their version
          </button>
          <button className="primary" onClick={onKeepMine} disabled={busy} data-testid="conflict-keep-mine">
            Keep mine as a new version
          </button>
        </>
      }
    >
      <p>
        While you were editing, another person saved a different version of this graph. Your latest changes have <strong>not</strong> been saved yet.
      </p>
      <ul className="plain-list">
        <li>
          <strong>Keep mine as a new version</strong>: their version is committed to the history first, then yours becomes the draft and is committed too. Nothing is lost.
        </li>
        <li>
          <strong>Load their version</strong>: your unsaved changes are discarded.{" "}
          <button className="link-button" onClick={onDownloadMine}>
            Download mine as JSON first
          </button>
        </li>
      </ul>
    </Dialog>
  );
}
