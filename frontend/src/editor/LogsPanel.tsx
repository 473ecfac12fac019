// Streaming logs of the current run, filterable by step; sticks to the bottom while you are at the bottom.
import { memo, useEffect, useLayoutEffect, useRef, useState } from "react";
import { MAX_LOADED, logDownloadUrl, type AttemptLines } from "../runs/logs";
import type { LogLine } from "../runs/state";

function LogsPanelView({ logs, steps, labels, runId, cut }: { logs: LogLine[]; steps: string[]; labels: ReadonlyMap<string, string>; runId: number | null; cut: AttemptLines[] }) {
  const [filter, setFilter] = useState("");
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const shown = filter ? logs.filter((l) => l.step === filter) : logs;
  useLayoutEffect(() => {
    if (stick.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [shown.length]);
  useEffect(() => {
    if (filter && !steps.includes(filter)) setFilter("");
  }, [filter, steps]);
  return (
    <div className="logs" data-testid="logs-panel">
      <div className="logs-toolbar">
        <select value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Show logs of">
          <option value="">All steps</option>
          {steps.map((s) => (
            <option key={s} value={s}>
              {labels.get(s) ?? s}
            </option>
          ))}
        </select>
        <span className="muted small">{shown.length.toLocaleString("en")} lines</span>
      </div>
      {runId !== null &&
        cut
          .filter((c) => !filter || c.step === filter)
          .map((c) => (
            <div key={`${c.step}#${c.attempt}`} className="logs-note small" data-testid="logs-cut">
              {labels.get(c.step) ?? c.step}
              {c.attempt > 1 ? ` (attempt ${c.attempt})` : ""}: the last {MAX_LOADED.toLocaleString("en")} of {c.lines.toLocaleString("en")} lines.{" "}
              <a href={logDownloadUrl(runId, c.step)} download>
                Download them all
              </a>
            </div>
          ))}
      <div
        className="logs-body"
        ref={box}
        tabIndex={0}
        role="region"
        aria-label="Log lines"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {shown.length === 0 && <div className="muted">No log lines yet.</div>}
        {shown.map((l, i) => (
          <div key={i} className={`log-line log-${l.stream}`}>
            <span className="log-step">{labels.get(l.step) ?? l.step}</span>
            {l.text}
          </div>
        ))}
      </div>
    </div>
  );
}

export const LogsPanel = memo(LogsPanelView);
