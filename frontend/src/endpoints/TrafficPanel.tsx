// A real-time endpoint's versions and traffic: the default, a canary split to a second version, promotion and rollback.
import { useState } from "react";
import type { Endpoint } from "./types";

interface Props {
  endpoint: Endpoint;
  canEdit: boolean;
  change: (body: Record<string, unknown>) => Promise<void>;
}

const RUNTIMES = { onnx: "ONNX Runtime", sklearn: "scikit-learn", graph: "module by module" } as const;

export function TrafficPanel({ endpoint, canEdit, change }: Props) {
  const others = endpoint.versions.filter((v) => v.number !== endpoint.default_version);
  const [canary, setCanary] = useState<number>(endpoint.split?.version ?? others[others.length - 1]?.number ?? 0);
  const [percent, setPercent] = useState(endpoint.split?.percent ?? 10);
  const share = (n: number) =>
    n === endpoint.default_version ? 100 - (endpoint.split?.percent ?? 0) : n === endpoint.split?.version ? endpoint.split.percent : 0;

  return (
    <section data-testid="traffic-panel">
      <h2>Versions and traffic</h2>
      <table className="data-table list-table" data-testid="version-list">
        <thead>
          <tr>
            <th>Version</th>
            <th>Graph version</th>
            <th>Runtime</th>
            <th>Input columns</th>
            <th>Traffic</th>
            <th><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {endpoint.versions.map((v) => (
            <tr key={v.number} data-testid={`version-${v.number}`}>
              <td>
                v{v.number} {v.message && <span className="muted small">{v.message}</span>}
              </td>
              <td>{v.graph_version}</td>
              <td title={v.scoring?.runtime_reason}>
                {v.scoring ? RUNTIMES[v.scoring.runtime] : "—"}
                {v.scoring?.onnx_model && (
                  <div className="small">
                    <a href={`/api/endpoints/${endpoint.id}/versions/${v.number}/model.onnx`} download data-testid="onnx-download">
                      ONNX model
                    </a>{" "}
                    (<a href={`/api/endpoints/${endpoint.id}/versions/${v.number}/model.onnx.json`} target="_blank" rel="noreferrer">
                      inputs and outputs
                    </a>)
                  </div>
                )}
                {v.scoring?.latency_note && <div className="small muted">{v.scoring.latency_note}</div>}
              </td>
              <td className="small">{v.scoring?.input_schema.columns.length ?? 0}</td>
              <td data-testid="traffic-share">
                {share(v.number)} %{" "}
                {v.number === endpoint.default_version && <span className="badge">default</span>}
                {v.number === endpoint.split?.version && <span className="badge">canary</span>}
              </td>
              <td className="row-actions">
                {canEdit && v.number !== endpoint.default_version && (
                  <button className="small" onClick={() => void change({ default_version: v.number })} data-testid="make-default">
                    {v.number === endpoint.split?.version ? "Promote" : "Make default"}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {canEdit && others.length > 0 && (
        <div className="inline-form traffic-form">
          <span>Send</span>
          <input
            type="number"
            min={1}
            max={99}
            value={percent}
            onChange={(e) => setPercent(Number(e.target.value))}
            aria-label="Canary share in percent"
            style={{ width: 70 }}
            data-testid="split-percent"
          />
          <span>% of calls to</span>
          <select value={canary} onChange={(e) => setCanary(Number(e.target.value))} aria-label="Canary version" data-testid="split-version">
            {others.map((v) => (
              <option key={v.number} value={v.number}>
                v{v.number}
              </option>
            ))}
          </select>
          <button onClick={() => void change({ split: { version: canary, percent } })} data-testid="split-apply">
            Split traffic
          </button>
          {endpoint.split && (
            <button className="danger" onClick={() => void change({ split: null })} data-testid="split-rollback">
              Roll back to v{endpoint.default_version} only
            </button>
          )}
        </div>
      )}
      <p className="muted small">
        A change applies to the next call: nothing restarts, and calls in flight finish on the version they started with. Promoting the canary
        ends the split.
      </p>
      {canEdit && (
        <div className="inline-form">
          <label className="small" htmlFor="extra-columns">Columns the input does not name</label>
          <select id="extra-columns" value={endpoint.extra_columns} onChange={(e) => void change({ extra_columns: e.target.value })}>
            <option value="ignore">are ignored</option>
            <option value="refuse">are refused (422)</option>
          </select>
          <label className="small">
            <input type="checkbox" checked={endpoint.capture_errors} onChange={(e) => void change({ capture_errors: e.target.checked })} /> keep
            failed calls' inputs (first 4 KB) for the error list
          </label>
        </div>
      )}
    </section>
  );
}
