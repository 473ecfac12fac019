// Every validation issue of the draft, graph-level first; clicking one shows its module.
import { memo, useEffect, useRef } from "react";
import type { Issue } from "../api/types";
import { issueText } from "./issueText";

interface Props {
  issues: readonly Issue[];
  labels: ReadonlyMap<string, string>;
  onShow: (node: string) => void;
  /** Changes when the first issue that names a node should take the keyboard focus (a refused run). */
  focusKey?: number;
}

function IssuesPanelView({ issues, labels, onShow, focusKey }: Props) {
  const ordered = [...issues.filter((i) => !i.node), ...issues.filter((i) => i.node)];
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (focusKey) panel.current?.querySelector<HTMLButtonElement>(".issue-link:not(:disabled)")?.focus();
  }, [focusKey]);
  return (
    <div className="issues-panel" data-testid="issues-panel" ref={panel}>
      {issues.length === 0 && <p className="muted">No issues. The pipeline is ready to run.</p>}
      <ul className="issue-list">
        {ordered.map((i, k) => (
          <li key={k} className="issue">
            <button className="issue-link" disabled={!i.node} onClick={() => i.node && onShow(i.node)}>
              {i.node && <strong>{labels.get(i.node) ?? i.node}: </strong>}
              {issueText(i)}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

export const IssuesPanel = memo(IssuesPanelView);
