// Watch a pipeline (the bell): choose which failed runs mail you, and whether a recovery does too.
import { useEffect, useState } from "react";
import { api, errorMessage } from "../api/client";
import type { Watch, WatchScope } from "../api/types";
import { linkProps } from "../router";

const SCOPES: { value: WatchScope; label: string }[] = [
  { value: "others", label: "Runs I did not start myself (schedules, endpoint calls, teammates)" },
  { value: "all", label: "Every run, mine included" },
];

export function WatchToggle({ graphId }: { graphId: number }) {
  const url = `/api/graphs/${graphId}/watch/`;
  const [watch, setWatch] = useState<Watch | null>(null);
  const [open, setOpen] = useState(false);
  const [scope, setScope] = useState<WatchScope>("others");
  const [recovered, setRecovered] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const show = (state: Watch) => {
    setWatch(state);
    setScope(state.scope);
    setRecovered(state.recovered);
  };
  useEffect(() => {
    api.get<Watch>(url).then(show).catch((e) => setError(errorMessage(e)));
  }, [url]);

  const change = async (watching: boolean) => {
    setBusy(true);
    setError(null);
    try {
      if (watching) show(await api.put<Watch>(url, { scope, recovered }).then((r) => r.data));
      else {
        await api.delete(url);
        if (watch) setWatch({ ...watch, watching: false });
      }
      setOpen(false);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const watching = watch?.watching ?? false;
  return (
    <span className="watch-toggle">
      <button
        className={watching ? "watching" : ""}
        aria-expanded={open}
        disabled={watch === null}
        onClick={() => setOpen((o) => !o)}
        title="Get an e-mail when a run of this pipeline fails"
        data-testid="watch-button"
      >
        <Bell ringing={watching} />
        {watching ? "Watching" : "Watch"}
      </button>
      {open && watch && (
        <div className="watch-panel" role="dialog" aria-label="Watch this pipeline" data-testid="watch-panel">
          <p className="small">E-mail me when a run of this pipeline fails:</p>
          {SCOPES.map((s) => (
            <label key={s.value} className="toggle">
              <input type="radio" name="watch-scope" value={s.value} checked={scope === s.value} onChange={() => setScope(s.value)} />
              {s.label}
            </label>
          ))}
          <label className="toggle">
            <input type="checkbox" checked={recovered} onChange={(e) => setRecovered(e.target.checked)} data-testid="watch-recovered" />
            Also when it succeeds again after failing
          </label>
          {!watch.has_email && (
            <p className="callout callout-warning small" data-testid="watch-no-email">
              Your account has no e-mail address, so no mail can reach you: set one on your{" "}
              <a {...linkProps("/tokens/")}>account page</a>.
            </p>
          )}
          {!watch.mail_enabled && (
            <p className="callout small" data-testid="watch-no-mail">
              This server sends no mail yet (its administrator has not set EMAIL_HOST): your watch is kept and mails start once it is set.
            </p>
          )}
          {error && <p className="callout callout-error small">{error}</p>}
          <div className="page-actions">
            <button className="primary" disabled={busy} onClick={() => void change(true)} data-testid="watch-save">
              {watching ? "Save" : "Watch"}
            </button>
            {watching && (
              <button disabled={busy} onClick={() => void change(false)} data-testid="watch-stop">Stop watching</button>
            )}
          </div>
        </div>
      )}
      {!open && error && <span className="small muted">{error}</span>}
    </span>
  );
}

/** A bell (struck through when not watching): an icon every browser draws, unlike an emoji. */
function Bell({ ringing }: { ringing: boolean }) {
  return (
    <svg className="bell" width="14" height="14" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
      <path d="M13.73 21a2 2 0 0 1-3.46 0" />
      {!ringing && <line x1="2" y1="2" x2="22" y2="22" />}
    </svg>
  );
}
