// One step's log, attempt by attempt: every line, live while the step runs, and a download of them all.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { StepState } from "../api/types";
import { linkProps } from "../router";
import { MAX_LOADED, logDownloadUrl } from "./logs";
import { reusedRun } from "./reasons";
import type { RunView } from "./state";

/** What an empty log says: a reused step did not run here, and its log is with the run it came from. */
function NoLines({ step }: { step: StepState }) {
  if (step.status !== "reused") return <div className="muted">No log lines.</div>;
  const from = reusedRun(step.reason ?? "");
  return (
    <div className="muted" data-testid="log-reused">
      Reused: the step did not run in this run
      {from && /^\d+$/.test(from) ? (
        <>
          ; its log is with <a {...linkProps(`/runs/${from}/`)}>run {from}</a>.
        </>
      ) : (
        "."
      )}
    </div>
  );
}

export function StepLog({ view, step }: { view: RunView; step: StepState }) {
  const attempts = useMemo(() => {
    const numbers = new Set((step.history ?? []).map((a) => a.attempt));
    for (const part of view.logParts.values()) if (part.step === step.key) numbers.add(part.attempt);
    return [...numbers].sort((a, b) => a - b);
  }, [step, view.logParts]);
  const [picked, setPicked] = useState<number | null>(null);
  const attempt = picked ?? attempts[attempts.length - 1] ?? 0;
  useEffect(() => setPicked(null), [step.key]);
  const lines = view.logParts.get(`${step.key}#${attempt}`)?.lines ?? [];
  const total = step.history?.find((a) => a.attempt === attempt)?.lines ?? lines.length;
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines.length]);
  return (
    <div className="step-log" data-testid="step-log">
      <div className="logs-toolbar">
        {attempts.length > 1 && (
          <select value={attempt} onChange={(e) => setPicked(Number(e.target.value))} aria-label="Attempt" data-testid="log-attempt">
            {attempts.map((n) => (
              <option key={n} value={n}>
                {n === 0 ? "before the first attempt" : `attempt ${n}`}
              </option>
            ))}
          </select>
        )}
        <span className="muted small" data-testid="log-count">
          {lines.filter(Boolean).length} of {total} lines{total > MAX_LOADED ? " (the last ones; download for all)" : ""}
        </span>
        <span className="spacer" />
        <a className="button" href={logDownloadUrl(view.run.id, step.key)} download>Download log</a>
      </div>
      <div className="logs-body" ref={box} tabIndex={0} role="region" aria-label="Log lines">
        {lines.length === 0 && <NoLines step={step} />}
        {lines.map((l, i) =>
          l ? (
            <div key={i} className={`log-line log-${l.stream}`} data-testid="log-line">
              <span className="log-number">{i + 1}</span>
              {l.text}
            </div>
          ) : null,
        )}
      </div>
    </div>
  );
}
