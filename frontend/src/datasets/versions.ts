// A dataset's versions: how one is named in lists and pickers, and the hook that lists them.
import { useEffect, useState } from "react";
import { api, items } from "../api/client";
import type { DatasetVersion } from "../api/types";
import { fmt } from "../runs/charts";

/** "v3 · 9f2c01ab77e0 · 800 rows · Mar 4, 2026, 10:12 AM": `number` counts from the oldest. */
export function versionLabel(version: DatasetVersion, number: number): string {
  const when = version.created_at ? ` · ${new Date(version.created_at).toLocaleString()}` : "";
  return `v${number} · ${version.digest.slice(0, 12)} · ${fmt(version.rows)} row${version.rows === 1 ? "" : "s"}${when}`;
}

/** A dataset's versions, newest first (up to 1,000); empty while loading or without a dataset. */
export function useDatasetVersions(datasetId: number | undefined): DatasetVersion[] {
  const [versions, setVersions] = useState<DatasetVersion[]>([]);
  useEffect(() => {
    setVersions([]);
    if (datasetId === undefined) return;
    const ctrl = new AbortController();
    api
      .get<{ results: DatasetVersion[] }>(`/api/datasets/${datasetId}/versions/?limit=1000`, ctrl.signal)
      .then((page) => setVersions(items(page)))
      .catch(() => undefined);
    return () => ctrl.abort();
  }, [datasetId]);
  return versions;
}
