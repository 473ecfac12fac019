// Resolving a save conflict by keeping both sides: theirs is committed as a version, then mine
// becomes the draft and is committed too. A save by anyone in between makes the PUT fail with 412
// (its If-Match is the ETag read before the commit), so nothing is overwritten unseen.
import { api } from "../api/client";
import type { GraphDetail } from "../api/types";
import type { GraphDocument } from "../graph/document";

export const THEIRS_MESSAGE = "Their changes, saved before a conflicting edit";
export const MINE_MESSAGE = "My changes, kept after a conflict";

/** Keep both versions; returns the draft's new ETag. */
export async function keepBoth(graphId: number, mine: GraphDocument): Promise<string> {
  const current = await api.get<GraphDetail>(`/api/graphs/${graphId}/`);
  await api.post(`/api/graphs/${graphId}/versions/`, { message: THEIRS_MESSAGE });
  const saved = await api.put<{ etag: string }>(`/api/graphs/${graphId}/draft/`, mine, { "If-Match": current.etag });
  await api.post(`/api/graphs/${graphId}/versions/`, { message: MINE_MESSAGE });
  return saved.data.etag;
}
