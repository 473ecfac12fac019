// A workspace as the signed-in user sees it (its name, their role), loaded once per id.
import { useEffect, useState } from "react";
import { api } from "./client";
import type { Workspace } from "./types";

export function useWorkspace(workspaceId: number | undefined): Workspace | null {
  const [workspace, setWorkspace] = useState<Workspace | null>(null);
  useEffect(() => {
    if (workspaceId === undefined) return;
    let current = true;
    api
      .get<Workspace>(`/api/workspaces/${workspaceId}/`)
      .then((w) => current && setWorkspace(w))
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [workspaceId]);
  return workspace;
}

/** Whether the signed-in user may change things in the workspace: an editor or owner (not until it is loaded). */
export function mayEdit(workspace: Workspace | null): boolean {
  return workspace !== null && workspace.role !== "viewer";
}
