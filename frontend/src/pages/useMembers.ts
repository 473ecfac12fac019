// A workspace's members for a "by whom" filter, the signed-in user first.
import { useEffect, useState } from "react";
import { api, items } from "../api/client";
import type { Membership } from "../api/types";
import { currentUser } from "../ui/Shell";

/** The workspace's members, the signed-in user first ("you"). */
export function useMembers(workspaceId: number): Membership[] {
  const [members, setMembers] = useState<Membership[]>([]);
  useEffect(() => {
    const me = currentUser().username;
    api
      .get<Membership[] | { results: Membership[] }>(`/api/workspaces/${workspaceId}/members/?limit=200`)
      .then((d) => setMembers(items(d).sort((a, b) => Number(b.user.username === me) - Number(a.user.username === me))))
      .catch(() => setMembers([]));
  }, [workspaceId]);
  return members;
}
