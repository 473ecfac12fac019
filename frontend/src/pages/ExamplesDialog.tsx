// The shipped example pipelines: pick one to start a pipeline of this workspace from it.
import { useEffect, useState } from "react";
import { api, errorMessage } from "../api/client";
import type { Example, GraphSummary } from "../api/types";
import { Dialog } from "../ui/Dialog";

export function ExamplesDialog({ workspaceId, onClose, onCreated }: { workspaceId: number; onClose: () => void; onCreated: (graph: GraphSummary) => void }) {
  const [examples, setExamples] = useState<Example[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  useEffect(() => {
    api
      .get<Example[]>("/api/examples/")
      .then(setExamples)
      .catch((e) => setError(errorMessage(e)));
  }, []);
  const start = async (example: Example) => {
    setBusy(example.slug);
    try {
      onCreated(await api.post<GraphSummary>(`/api/workspaces/${workspaceId}/graphs/from-example/`, { example: example.slug }));
    } catch (e) {
      setError(errorMessage(e));
      setBusy(null);
    }
  };
  return (
    <Dialog title="Start from an example" onClose={onClose} wide testId="examples-dialog" footer={<button onClick={onClose}>Cancel</button>}>
      {error && <div className="callout callout-error">{error}</div>}
      {examples === null && !error && <p className="muted">Loading…</p>}
      <ul className="example-list">
        {examples?.map((example) => (
          <li key={example.slug} data-testid={`example-${example.slug}`}>
            <div>
              <strong>{example.name}</strong>
              <p className="muted small">{example.description}</p>
              <p className="muted small">{example.steps} modules</p>
            </div>
            <button className="primary" disabled={busy !== null} onClick={() => void start(example)}>
              {busy === example.slug ? "Creating…" : "Use"}
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
