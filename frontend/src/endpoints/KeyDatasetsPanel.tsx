// A pipeline endpoint's datasets that calls by key may name as inputs: shown to members, granted and taken back by editors.
import { useState } from "react";
import { useDatasetNames } from "../editor/useWorkspaceInfo";
import type { Endpoint } from "./types";

interface Props {
  endpoint: Endpoint;
  canEdit: boolean;
  change: (body: Record<string, unknown>) => Promise<void>;
}

export function KeyDatasetsPanel({ endpoint, canEdit, change }: Props) {
  const granted = endpoint.key_datasets;
  const others = useDatasetNames(endpoint.workspace).filter((name) => !granted.includes(name));
  const [chosen, setChosen] = useState("");
  const grant = (names: string[]) => void change({ key_datasets: names });

  return (
    <section data-testid="key-datasets-panel">
      <h2>Datasets keys may read</h2>
      <p className="muted small">
        A call made with a key may name these registered datasets as inputs; any other is refused as a dataset that does not exist. Members and
        schedules name every dataset, and a key always names the files its own calls sent.
      </p>
      {granted.length === 0 ? (
        <p data-testid="key-datasets-none">None: calls by key send their rows as files.</p>
      ) : (
        <ul className="chip-list" data-testid="key-datasets">
          {granted.map((name) => (
            <li key={name} data-testid="key-dataset">
              <code>{name}</code>{" "}
              {canEdit && (
                <button className="small" aria-label={`Stop granting ${name}`} onClick={() => grant(granted.filter((n) => n !== name))}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canEdit && (
        <div className="inline-form">
          <select value={chosen} onChange={(e) => setChosen(e.target.value)} aria-label="Dataset to grant to keys" data-testid="key-dataset-choice">
            <option value="">Choose a registered dataset</option>
            {others.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
          <button
            disabled={!chosen}
            onClick={() => {
              grant([...granted, chosen]);
              setChosen("");
            }}
            data-testid="key-dataset-grant"
          >
            Grant to keys
          </button>
        </div>
      )}
    </section>
  );
}
