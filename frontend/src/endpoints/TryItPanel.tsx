// "Try it" on a real-time endpoint: send JSON rows with a key from the page to the scoring service, see the answer.
import { useEffect, useState } from "react";
import { rowsExample } from "./examples";
import type { Endpoint, Scoring } from "./types";

interface Props {
  endpoint: Endpoint;
  scoring: Scoring;
  /** A key created on this page (its raw value is known only now). */
  freshKey?: string;
  onCalled: () => void;
}

export function TryItPanel({ endpoint, scoring, freshKey, onCalled }: Props) {
  const [key, setKey] = useState(freshKey ?? "");
  const [body, setBody] = useState(() => JSON.stringify(rowsExample(scoring), null, 2));
  const [answer, setAnswer] = useState<{ status: number; text: string; ms: number } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (freshKey) setKey(freshKey);
  }, [freshKey]);

  const send = async () => {
    setBusy(true);
    const started = performance.now();
    try {
      const response = await fetch(endpoint.invoke_url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${key.trim()}` },
        body,
      });
      const text = await response.text();
      let pretty = text;
      try {
        pretty = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // not JSON: show it as it came
      }
      setAnswer({ status: response.status, text: pretty, ms: performance.now() - started });
      onCalled();
    } catch (err) {
      setAnswer({ status: 0, text: `The scoring service at ${endpoint.invoke_url} could not be reached (${String(err)}).`, ms: 0 });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section data-testid="try-it">
      <h2>Try it</h2>
      <div className="field">
        <label className="field-label" htmlFor="try-key">Endpoint key</label>
        <input id="try-key" type="password" value={key} onChange={(e) => setKey(e.target.value)} placeholder="dse_… (create one below)" data-testid="try-key" />
      </div>
      <div className="field">
        <label className="field-label" htmlFor="try-body">Rows (up to {scoring.max_rows.toLocaleString()} per call)</label>
        <textarea id="try-body" className="code-input" rows={8} value={body} onChange={(e) => setBody(e.target.value)} spellCheck={false} data-testid="try-body" />
      </div>
      <button className="primary" disabled={busy || !key.trim()} onClick={() => void send()} data-testid="try-send">
        {busy ? "Scoring…" : "Score"}
      </button>
      {answer && (
        <>
          <p className="small" data-testid="try-status">
            {answer.status ? `HTTP ${answer.status} in ${answer.ms.toFixed(0)} ms (from this browser)` : "No answer"}
          </p>
          <pre className={`code-example try-answer ${answer.status === 200 ? "" : "code-error"}`} data-testid="try-answer">
            {answer.text}
          </pre>
        </>
      )}
    </section>
  );
}
