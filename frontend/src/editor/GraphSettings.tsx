// The sidebar when no module is selected: pipeline parameters (values set per run, bound with "$name").
import { useState } from "react";
import type { GraphDocument } from "../graph/document";
import type { Operation } from "../graph/operations";

export function GraphSettings({ doc, readOnly, dispatch, selectionSize }: { doc: GraphDocument; readOnly: boolean; dispatch: (ops: Operation[], coalesce?: string) => void; selectionSize: number }) {
  const [newName, setNewName] = useState("");
  const [newType, setNewType] = useState<"int" | "float" | "bool" | "string">("float");
  return (
    <div className="graph-settings">
      <p className="muted">{selectionSize > 1 ? `${selectionSize} items selected.` : "Select a module to edit its parameters."}</p>
      <h3>Pipeline parameters</h3>
      <p className="muted small">Values you set per run; bind a module parameter to one with its “$…” menu.</p>
      {Object.entries(doc.parameters).map(([name, p]) => (
        <div key={name} className="pipeline-param">
          <code>${name}</code>
          <span className="muted small">{p.type}</span>
          <input
            type={p.type === "string" ? "text" : p.type === "bool" ? "text" : "number"}
            aria-label={`Default of ${name}`}
            value={p.default === undefined || p.default === null ? "" : String(p.default)}
            readOnly={readOnly}
            onChange={(e) => {
              const raw = e.target.value;
              const value = p.type === "int" || p.type === "float" ? (raw === "" ? null : Number(raw)) : p.type === "bool" ? raw === "true" : raw;
              dispatch([{ type: "set_parameter", name, parameter: { ...p, default: value } }], `param.${name}`);
            }}
          />
          {!readOnly && (
            <button className="icon-button" aria-label={`Remove ${name}`} onClick={() => dispatch([{ type: "set_parameter", name, parameter: undefined }])}>×</button>
          )}
        </div>
      ))}
      {!readOnly && (
        <form
          className="pipeline-param-add"
          onSubmit={(e) => {
            e.preventDefault();
            const n = newName.trim();
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) || doc.parameters[n]) return;
            dispatch([{ type: "set_parameter", name: n, parameter: { type: newType, default: newType === "bool" ? false : newType === "string" ? "" : 0, description: "" } }]);
            setNewName("");
          }}
        >
          <input type="text" placeholder="name" value={newName} onChange={(e) => setNewName(e.target.value)} aria-label="New parameter name" />
          <select value={newType} onChange={(e) => setNewType(e.target.value as typeof newType)} aria-label="New parameter type">
            <option value="float">float</option>
            <option value="int">int</option>
            <option value="bool">bool</option>
            <option value="string">string</option>
          </select>
          <button type="submit">Add</button>
        </form>
      )}
    </div>
  );
}
