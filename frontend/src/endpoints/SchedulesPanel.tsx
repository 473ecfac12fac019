// An endpoint's schedules: a cron editor with the next five fire times, fixed parameters, a registered dataset
// for each input, the missed-fire policy.
import { useCallback, useEffect, useState } from "react";
import { ApiError, api, errorMessage, items } from "../api/client";
import { useDatasetNames } from "../editor/useWorkspaceInfo";
import { linkProps } from "../router";
import { useToast } from "../ui/toasts";
import { exampleParameters } from "./examples";
import type { Endpoint, Fire, Schedule } from "./types";

const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function SchedulesPanel({ endpoint, canEdit }: { endpoint: Endpoint; canEdit: boolean }) {
  const toast = useToast();
  const current = endpoint.versions.find((v) => v.number === endpoint.default_version);
  const [schedules, setSchedules] = useState<Schedule[]>([]);
  const [cron, setCron] = useState("0 6 * * *");
  const [zone, setZone] = useState(browserZone);
  const [params, setParams] = useState(() => JSON.stringify(current ? exampleParameters(current.interface) : {}));
  const [inputs, setInputs] = useState<Record<string, string>>({});
  const datasetNames = useDatasetNames(endpoint.workspace);
  const [missed, setMissed] = useState<"run_once" | "skip">("run_once");
  const [preview, setPreview] = useState<string[]>([]);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(() => {
    api
      .get<{ results: Schedule[] }>(`/api/endpoints/${endpoint.id}/schedules/`)
      .then((d) => setSchedules(items(d)))
      .catch(() => setSchedules([]));
  }, [endpoint.id]);
  useEffect(load, [load]);

  useEffect(() => {
    const ctrl = new AbortController();
    const query = new URLSearchParams({ cron, timezone: zone });
    const timer = window.setTimeout(() => {
      api
        .get<{ next: string[] }>(`/api/endpoints/${endpoint.id}/schedules/preview/?${query}`, ctrl.signal)
        .then((d) => {
          setPreview(d.next);
          setProblem(null);
        })
        .catch((err) => {
          if ((err as Error).name === "AbortError") return;
          setPreview([]);
          setProblem(err instanceof ApiError ? err.message : errorMessage(err));
        });
    }, 250);
    return () => {
      ctrl.abort();
      window.clearTimeout(timer);
    };
  }, [cron, zone, endpoint.id]);

  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    let parameters: unknown;
    try {
      parameters = JSON.parse(params);
    } catch {
      toast("Parameters must be a JSON object.", "error");
      return;
    }
    try {
      const chosen = Object.fromEntries(Object.entries(inputs).filter(([, name]) => name).map(([input, name]) => [input, { dataset: name }]));
      await api.post(`/api/endpoints/${endpoint.id}/schedules/`, { cron, timezone: zone, parameters, inputs: chosen, missed });
      toast("Schedule added.", "success");
      load();
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
      load();
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  };
  const when = (iso: string) => new Date(iso).toLocaleString(undefined, { timeZone: zone, dateStyle: "medium", timeStyle: "short" });

  return (
    <section data-testid="schedules-panel">
      <h2>Schedules</h2>
      {schedules.map((s) => (
        <div key={s.id} className="card schedule-card" data-testid={`schedule-${s.id}`}>
          <div>
            <div className="card-title">
              <span className="muted small">Schedule {s.id}</span> <code>{s.cron}</code> <span className="muted small">{s.timezone}</span> {!s.enabled && <span className="badge">paused</span>}
            </div>
            <div className="small">
              Version {s.version ?? "default"} · parameters <code>{JSON.stringify(s.parameters)}</code>
              {Object.entries(s.inputs).map(([input, ref]) => (
                <span key={input}> · {input} ← <code>{ref.dataset}</code> {ref.version ? `(${ref.version.slice(0, 8)})` : "(its latest version at each fire)"}</span>
              ))}
              {" "}· missed fires: {s.missed === "run_once" ? "run once" : "skipped"}
            </div>
            <div className="small muted">Next: {s.next_fires.map((t) => when(t)).join(" · ") || "—"}</div>
            {s.recent_fires.length > 0 && (
              <LastFire fire={s.recent_fires[0]} when={when} />
            )}
          </div>
          {canEdit && (
            <div className="row-actions">
              <button className="small" onClick={() => void act(() => api.patch(`/api/schedules/${s.id}/`, { enabled: !s.enabled }))}>{s.enabled ? "Pause" : "Resume"}</button>
              <button className="small danger" onClick={() => window.confirm("Delete this schedule?") && void act(() => api.delete(`/api/schedules/${s.id}/`))}>Delete</button>
            </div>
          )}
        </div>
      ))}
      {canEdit && (
        <form className="schedule-form" onSubmit={(e) => void add(e)}>
          <div className="field">
            <label className="field-label" htmlFor="schedule-cron">Cron (minute hour day month weekday)</label>
            <input id="schedule-cron" value={cron} onChange={(e) => setCron(e.target.value)} data-testid="schedule-cron" />
          </div>
          <div className="field">
            <label className="field-label" htmlFor="schedule-zone">Time zone</label>
            <input id="schedule-zone" value={zone} onChange={(e) => setZone(e.target.value)} data-testid="schedule-zone" />
          </div>
          <div className="field">
            <label className="field-label" htmlFor="schedule-params">Parameters (JSON)</label>
            <input id="schedule-params" value={params} onChange={(e) => setParams(e.target.value)} data-testid="schedule-params" />
          </div>
          {current?.interface.inputs.map((input) => (
            <div className="field" key={input.name}>
              <label className="field-label" htmlFor={`schedule-input-${input.name}`}>Input {input.name}</label>
              <select
                id={`schedule-input-${input.name}`}
                value={inputs[input.name] ?? ""}
                onChange={(e) => setInputs((was) => ({ ...was, [input.name]: e.target.value }))}
                data-testid={`schedule-input-${input.name}`}
              >
                <option value="">{input.required ? "Choose a registered dataset" : "The data wired into it in the graph"}</option>
                {datasetNames.map((name) => <option key={name} value={name}>{name}</option>)}
              </select>
            </div>
          ))}
          <div className="field">
            <label className="field-label" htmlFor="schedule-missed">When fire times were missed (server down)</label>
            <select id="schedule-missed" value={missed} onChange={(e) => setMissed(e.target.value as "run_once" | "skip")}>
              <option value="run_once">Run once when the server is back</option>
              <option value="skip">Skip them</option>
            </select>
          </div>
          {problem ? (
            <div className="field-error" data-testid="schedule-problem">{problem}</div>
          ) : (
            <ol className="next-fires small" data-testid="next-fires">
              {preview.map((t) => <li key={t}>{when(t)}</li>)}
            </ol>
          )}
          <button className="primary" type="submit" disabled={problem !== null} data-testid="add-schedule">Add schedule</button>
        </form>
      )}
    </section>
  );
}

/** The latest fire: the run its call started and how it went, or why no call was made. */
function LastFire({ fire, when }: { fire: Fire; when: (iso: string) => string }) {
  return (
    <div className="small muted" data-testid="last-fire">
      Last fire: {when(fire.fire_time)}
      {fire.run !== null ? (
        <>
          {" "}→ <a {...linkProps(`/runs/${fire.run}/`)}>run {fire.run}</a>{" "}
          <span className={`status-pill pill-${fire.status}`}>{fire.status}</span>
        </>
      ) : (
        fire.error && ` — not called: ${fire.error}`
      )}
    </div>
  );
}
