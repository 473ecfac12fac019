// Who started a run: its user, or the endpoint call (key, schedule or user) that started it.
import type { RunOrigin } from "../api/types";
import { linkProps } from "../router";

type Started = { created_by: string | null; origin: RunOrigin | null };

export function StartedBy({ run }: { run: Started }) {
  const { origin } = run;
  if (!origin) return <>{run.created_by ?? "(deleted user)"}</>;
  return (
    <span data-testid="run-origin">
      {origin.caller.kind === "key" ? `key ${origin.caller.name}` : origin.caller.name} via endpoint{" "}
      <a {...linkProps(`/endpoints/${origin.endpoint}/`)}>{origin.endpoint_name}</a>
    </span>
  );
}
