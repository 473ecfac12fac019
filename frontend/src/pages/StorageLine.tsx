// A workspace's storage line: what its runs and datasets keep, and of how much when it has a quota.
import type { Storage } from "../api/types";
import { bytes } from "../ui/bytes";

/** "Storage used: X of Y (Z%)" (or "Storage used: X" with no quota), its parts in a tooltip; at
 *  or over the quota, a callout saying what is refused and what frees space. */
export function StorageLine({ storage }: { storage: Storage }) {
  const quota = storage.quota_bytes;
  const full = quota !== null && storage.total_bytes >= quota;
  const parts = `${storage.runs} runs: outputs ${bytes(storage.artifacts_bytes)}, logs ${bytes(storage.logs_bytes)}; datasets ${bytes(storage.datasets_bytes)}`;
  const used = quota === null ? bytes(storage.total_bytes) : `${bytes(storage.total_bytes)} of ${bytes(quota)} (${Math.floor((100 * storage.total_bytes) / quota)}%)`;
  return (
    <>
      <p className="muted small" data-testid="storage-used" title={parts}>
        Storage used: {used} ({parts})
      </p>
      {full && (
        <div className="callout callout-error" data-testid="storage-full">
          This workspace is at its storage quota: uploads and new runs are refused. Delete runs or datasets it no longer needs to make room.
        </div>
      )}
    </>
  );
}
