// The panel under the canvas: the followed run's logs and an output's preview; its top edge resizes it.
import type { RunView } from "../runs/state";
import { cutAttempts } from "../runs/logs";
import { OutputPreview } from "../runs/OutputPreview";
import { PanelResizer } from "../ui/PanelResizer";
import { LogsPanel } from "./LogsPanel";

export type BottomTab = "logs" | "preview";

export function BottomPanel({ tab, onTab, onClose, runView, preview, labels, height, onResize }: {
  tab: BottomTab;
  onTab: (tab: BottomTab) => void;
  onClose: () => void;
  runView: RunView | null;
  preview: { step: string; port: string } | null;
  labels: ReadonlyMap<string, string>;
  height: number;
  onResize: (height: number) => void;
}) {
  const output = preview && runView ? runView.steps.get(preview.step)?.outputs?.[preview.port] : undefined;
  return (
    <section className="bottom-panel">
      <PanelResizer height={height} onResize={onResize} label="Resize the logs and preview panel" />
      <div className="tabs bottom-tabs">
        <div className="tab-group" role="tablist" aria-label="Logs and output preview">
          <button role="tab" aria-selected={tab === "logs"} onClick={() => onTab("logs")} data-testid="logs-tab">Logs</button>
          <button role="tab" aria-selected={tab === "preview"} disabled={!preview} onClick={() => onTab("preview")}>Output preview</button>
        </div>
        <span className="spacer" />
        <button className="icon-button" aria-label="Close panel" onClick={onClose}>×</button>
      </div>
      {tab === "logs" && (
        <LogsPanel logs={runView?.logs ?? []} steps={[...(runView?.steps.keys() ?? [])]} labels={labels} runId={runView?.run.id ?? null} cut={runView ? cutAttempts(runView) : []} />
      )}
      {tab === "preview" && preview && runView && output && (
        <OutputPreview
          key={`${runView.run.id}-${preview.step}-${preview.port}`}
          runId={runView.run.id}
          step={preview.step}
          port={preview.port}
          output={output}
          title={labels.get(preview.step) ?? preview.step}
          onClose={() => onTab("logs")}
        />
      )}
    </section>
  );
}
