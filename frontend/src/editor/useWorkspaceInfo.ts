// The workspace an editor page belongs to: its name, the user's role, and its datasets.
import { useEffect, useMemo, useState } from "react";
import { api, items } from "../api/client";
import type { Dataset, Workspace } from "../api/types";
import { useWorkspace } from "../api/useWorkspace";

/** A workspace's datasets (up to 500), for pickers. */
export function useDatasets(workspaceId: number): Dataset[] {
  const [datasets, setDatasets] = useState<Dataset[]>([]);
  useEffect(() => {
    api
      .get<Dataset[] | { results: Dataset[] }>(`/api/workspaces/${workspaceId}/datasets/?limit=500`)
      .then((d) => setDatasets(items(d)))
      .catch(() => undefined);
  }, [workspaceId]);
  return datasets;
}

/** The names of a workspace's datasets (up to 500), for pickers. */
export function useDatasetNames(workspaceId: number): string[] {
  const datasets = useDatasets(workspaceId);
  return useMemo(() => datasets.map((d) => d.name), [datasets]);
}

export function useWorkspaceInfo(workspaceId: number): { workspace: Workspace | null; datasets: Dataset[] } {
  return { workspace: useWorkspace(workspaceId), datasets: useDatasets(workspaceId) };
}
