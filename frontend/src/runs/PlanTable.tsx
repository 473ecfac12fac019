// A plan step by step: order, node, what a run does (or did) with it and why, and its cache key.
import { fmt } from "./charts";
import type { components } from "../api/schema.gen";
import { readableReason, runName } from "./reasons";

/** A plan as …/plan/ and a run's plan answer it (designer/runs/serializers.py PlanSerializer). */
export type PlanBody = components["schemas"]["Plan"];

const ACTION: Record<string, string> = { reuse: "reused", run: "runs", after: "decided later" };

export function PlanTable({ plan, onPick }: { plan: PlanBody; onPick?: (key: string) => void }) {
  const labels = new Map(plan.steps.map((s) => [s.key, s.label]));
  const names = { labels, runs: new Map(Object.entries(plan.runs)) };
  return (
    <div className="plan" data-testid="plan-table">
      <p className="muted small">
        {plan.counts.run ?? 0} to run, {plan.counts.reuse ?? 0} reused, {plan.counts.after ?? 0} decided once their inputs exist
        {plan.target.mode !== "all" && plan.target.node ? ` · run ${plan.target.mode} ${labels.get(plan.target.node) ?? plan.target.node}` : ""}
      </p>
      <table className="data-table list-table">
        <thead>
          <tr>
            <th>#</th>
            <th>Step</th>
            <th>{plan.steps.some((s) => s.status) ? "Status" : "Will be"}</th>
            <th>Why</th>
            <th>Key</th>
          </tr>
        </thead>
        <tbody>
          {plan.steps.map((s) => (
            <tr key={s.key} data-testid={`plan-step-${s.key}`} data-action={s.action} onClick={onPick ? () => onPick(s.key) : undefined} className={onPick ? "clickable" : undefined}>
              <td className="muted">{s.order}</td>
              <td>
                <div>{s.label}</div>
                <div className="muted small mono">{s.module}{s.timeout ? ` · ${fmt(s.timeout)} s limit` : ""}</div>
              </td>
              <td>
                <span className={`status-pill pill-${s.status ?? (s.action === "reuse" ? "reused" : s.action === "run" ? "queued" : "pending")}`}>{s.status ?? ACTION[s.action]}</span>
              </td>
              <td className="small plan-why" title={s.reason}>
                {s.action === "reuse" && s.reused_from ? `reused from ${runName(s.reused_from, names.runs)}` : readableReason(s.reason, names)}
              </td>
              <td className="mono small" title={s.fingerprint}>{s.fingerprint ? s.fingerprint.slice(0, 12) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
