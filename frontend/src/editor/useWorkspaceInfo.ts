// The workspace an editor page belongs to: its name, the user's role, and its dataset names.
import { useEffect, useState } from "react";
import { api, items } from "../api/client";
import type { Dataset, Workspace } from "../api/types";
import { useWorkspace } from "../api/useWorkspace";

/** The names of a workspace's datasets (up to 500), for pickers. */
export function useDatasetNames(workspaceId: number): string[] {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    api
      .get<Dataset[] | { results: Dataset[] }>(`/api/workspaces/${workspaceId}/datasets/?limit=500`)
      .then((d) => setNames(items(d).map((x) => x.name)))
      .catch(() => undefined);
  }, [workspaceId]);
  return names;
}

export function useWorkspaceInfo(workspaceId: number): { workspace: Workspace | null; datasetNames: string[] } {
  return { workspace: useWorkspace(workspaceId), datasetNames: useDatasetNames(workspaceId) };
}
