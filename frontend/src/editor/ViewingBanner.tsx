// Says what the canvas shows when it is not the editable draft: an old version, a comparison, or a
// viewer's read-only copy.
import type { Viewing } from "./useVersionViewing";

export function ViewingBanner({ viewing, canEdit, onRestore, onBack }: { viewing: Viewing; canEdit: boolean; onRestore: () => void; onBack: () => void }) {
  return (
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
      {canEdit && <button onClick={onRestore}>Restore this version</button>}
      <button className="primary" onClick={onBack}>Back to the draft</button>
    </div>
  );
}
