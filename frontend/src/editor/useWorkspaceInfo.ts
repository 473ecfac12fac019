// The workspace an editor page belongs to: its name, the user's role, and its dataset names.
import { useEffect, useState } from "react";
import { api, items } from "../api/client";
import type { Dataset, Workspace } from "../api/types";
import { useWorkspace } from "../api/useWorkspace";

export function useWorkspaceInfo(workspaceId: number): { workspace: Workspace | null; datasetNames: string[] } {
  const workspace = useWorkspace(workspaceId);
  const [datasetNames, setDatasetNames] = useState<string[]>([]);
  useEffect(() => {
    api
      .get<Dataset[] | { results: Dataset[] }>(`/api/workspaces/${workspaceId}/datasets/?limit=500`)
      .then((d) => setDatasetNames(items(d).map((x) => x.name)))
      .catch(() => undefined);
  }, [workspaceId]);
  return { workspace, datasetNames };
}
