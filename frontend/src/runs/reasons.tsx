// Why a step ran or was reused, as people read it: nodes by label, "reused from run 23 (Mar 4, alice)".
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, items } from "../api/client";
import type { RunOrigin } from "../api/types";

export interface RunRef {
  id: number;
  created_at: string;
  created_by?: string | null;
  origin?: RunOrigin | null;
}

export interface ReasonNames {
  labels: ReadonlyMap<string, string>;
  runs: ReadonlyMap<string, RunRef>;
}

const NONE: ReasonNames = { labels: new Map(), runs: new Map() };
const ReasonContext = createContext<ReasonNames>(NONE);
const REUSED = /^reused: key \w+ from run (\S+)$/;

export function shortDate(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

/** Who started a run, in short: its user, else the endpoint its call came to. */
export function startedBy(run: Pick<RunRef, "created_by" | "origin">): string | null {
  return run.created_by ?? (run.origin ? `endpoint ${run.origin.endpoint_name}` : null);
}

/** "run 23 (Mar 4, alice)" or "run 23 (Mar 4, endpoint churn)" when the run is known, else "run 23". */
export function runName(id: string, runs: ReadonlyMap<string, RunRef>): string {
  const run = runs.get(id);
  if (!run) return `run ${id}`;
  const by = startedBy(run);
  const who = by ? `, ${by}` : "";
  return `run ${id} (${shortDate(run.created_at)}${who})`;
}

/** The run a "reused: key K from run R" reason names, if it is one. */
export function reusedRun(reason: string): string | null {
  return REUSED.exec(reason)?.[1] ?? null;
}

/** A reason with node ids turned into labels and cache keys into the run they came from. */
export function readableReason(reason: string, names: ReasonNames): string {
  const label = (id: string) => names.labels.get(id) ?? id;
  const run = reusedRun(reason);
  if (run) return `reused from ${runName(run, names.runs)}`;
  return reason
    .replace(/input `([^`]+)` from (\S+) changed/g, (_m, port: string, node: string) => `the output of ${label(node)} changed (input ${port})`)
    .replace(/input `([^`]+)` connected to (\S+)/g, (_m, port: string, node: string) => `input ${port} now wired to ${label(node)}`)
    .replace(/input `([^`]+)` now from (\S+)/g, (_m, port: string, node: string) => `input ${port} now from ${label(node)}`)
    .replace(/upstream step (\S+) failed/g, (_m, node: string) => `${label(node)} failed upstream`)
    .replace(/upstream `([^`]+)` failed/g, (_m, node: string) => `${label(node)} failed upstream`)
    .replace(/run (from|only) `([^`]+)`/g, (_m, mode: string, node: string) => `run ${mode} ${label(node)}`);
}

/** Run summaries of a workspace by id, read once per id (for "reused from run 23 (…)"). */
const known = new Map<string, RunRef>();

export function ReasonProvider({ workspace, labels, reasons, children }: { workspace: number; labels: ReadonlyMap<string, string>; reasons: Iterable<string>; children: ReactNode }) {
  const [runs, setRuns] = useState<ReadonlyMap<string, RunRef>>(() => new Map(known));
  const wanted = [...new Set([...reasons].map(reusedRun).filter((r): r is string => r !== null && /^\d+$/.test(r)))].sort();
  const missing = wanted.filter((id) => !known.has(id)).slice(0, 100);
  const key = missing.join(",");
  useEffect(() => {
    if (!key) return;
    api
      .get<RunRef[] | { results: RunRef[] }>(`/api/workspaces/${workspace}/runs/?ids=${key}&limit=100`)
      .then((d) => {
        for (const r of items(d)) known.set(String(r.id), r);
        setRuns(new Map(known));
      })
      .catch(() => undefined);
  }, [workspace, key]);
  const value = useMemo(() => ({ labels, runs }), [labels, runs]);
  return <ReasonContext.Provider value={value}>{children}</ReasonContext.Provider>;
}

export function useReasonNames(): ReasonNames {
  return useContext(ReasonContext);
}

/** A reason made readable with the names the nearest ReasonProvider knows. */
export function useReadableReason(reason: string): string {
  return readableReason(reason, useContext(ReasonContext));
}
