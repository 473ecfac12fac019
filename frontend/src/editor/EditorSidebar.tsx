// The editor's right-hand side: the inspector (or graph settings), the issues and the versions.
import type { ReactNode } from "react";

export type SidebarTab = "inspect" | "issues" | "versions";

export function EditorSidebar({ tab, onTab, issueCount, children }: { tab: SidebarTab; onTab: (tab: SidebarTab) => void; issueCount: number; children: ReactNode }) {
  return (
    <aside className="sidebar" aria-label="Details">
      <h2 className="sr-only">Details</h2>
      <div className="tabs" role="tablist">
        <button role="tab" aria-selected={tab === "inspect"} onClick={() => onTab("inspect")}>Inspector</button>
        <button role="tab" aria-selected={tab === "issues"} onClick={() => onTab("issues")} data-testid="issues-tab">
          Issues {issueCount > 0 && <span className="tab-count" data-testid="issue-count">{issueCount}</span>}
        </button>
        <button role="tab" aria-selected={tab === "versions"} onClick={() => onTab("versions")} data-testid="versions-tab">Versions</button>
      </div>
      <div className="sidebar-body">{children}</div>
    </aside>
  );
}
