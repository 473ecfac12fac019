// Reading step logs from the API: pages of one attempt's lines, by line number.
import { api } from "../api/client";
import type { LogPage } from "../api/types";
import { placeLogLines, type RunView } from "./state";

const PAGE = 10_000;
/** At most this many lines of one attempt are loaded into the page; the download has them all. */
export const MAX_LOADED = 50_000;

export function logPage(runId: number, step: string, attempt: number, offset: number, limit = PAGE): Promise<LogPage> {
  const query = `attempt=${attempt}&offset=${offset}&limit=${Math.min(limit, PAGE)}`;
  return api.get<LogPage>(`/api/runs/${runId}/steps/${encodeURIComponent(step)}/log/?${query}`);
}

export function logDownloadUrl(runId: number, step: string): string {
  return `/api/runs/${runId}/steps/${encodeURIComponent(step)}/log/?download=1`;
}

/** Load lines [from, to) of an attempt page by page, handing each page to `onPage`. */
export async function loadAttemptLines(
  runId: number,
  step: string,
  attempt: number,
  from: number,
  to: number,
  onPage: (page: LogPage) => void,
): Promise<void> {
  let offset = Math.max(from, to - MAX_LOADED);
  while (offset < to) {
    const page = await logPage(runId, step, attempt, offset, to - offset);
    if (page.lines.length === 0) return;
    onPage(page);
    offset += page.lines.length;
  }
}

/** One attempt of a step and how many log lines it has. */
export interface AttemptLines {
  step: string;
  attempt: number;
  lines: number;
}

/** Every attempt of every step of a snapshot that already has lines: what to load after it. */
export function attemptsWithLines(view: RunView): AttemptLines[] {
  const out: AttemptLines[] = [];
  for (const step of view.steps.values()) {
    for (const a of step.history ?? []) if (a.lines > 0) out.push({ step: step.key, attempt: a.attempt, lines: a.lines });
  }
  return out;
}

/** The attempts with more lines than are loaded: only their last MAX_LOADED lines are in the view. */
export function cutAttempts(view: RunView): AttemptLines[] {
  return attemptsWithLines(view).filter((a) => a.lines > MAX_LOADED);
}

/** The view with a page's lines placed. */
export function withPage(view: RunView, page: LogPage): RunView {
  return placeLogLines(view, page.step, page.attempt, page.offset, page.lines);
}
