// The module palette: categories, fuzzy search, drag onto the canvas or double-click / Enter / Space to add.
import { memo, useMemo, useState } from "react";
import type { ModuleSpec } from "../api/types";
import type { Catalogue } from "../graph/catalogue";
import { fuzzyFilter } from "../graph/fuzzy";

export const MODULE_MIME = "application/x-designer-module";

interface Props {
  catalogue: Catalogue;
  onAdd: (spec: ModuleSpec) => void;
  disabled: boolean;
}

function PaletteView({ catalogue, onAdd, disabled }: Props) {
  const [query, setQuery] = useState("");
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const matches = useMemo(
    () => fuzzyFilter(
        catalogue.modules,
        query,
        (m) => [m.display_name, m.name, m.category],
        (m) => [m.description],
      ),
    [catalogue, query],
  );
  const groups = useMemo(() => (query ? [["Results", matches] as [string, ModuleSpec[]]] : catalogue.categories(matches)), [catalogue, matches, query]);
  return (
    <aside className="palette" aria-label="Modules" data-testid="palette">
      <div className="palette-search">
        <input
          type="search"
          placeholder="Search modules  ( / )"
          aria-label="Search modules (Enter adds the first match)"
          value={query}
          data-testid="palette-search"
          id="palette-search"
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && matches[0] && !disabled) onAdd(matches[0]);
            if (e.key === "Escape") setQuery("");
          }}
        />
      </div>
      <div className="palette-list">
        {groups.map(([category, modules]) => (
          <section key={category} className="palette-group">
            <button
              className="palette-category"
              aria-expanded={!collapsed.has(category)}
              onClick={() =>
                setCollapsed((s) => {
                  const next = new Set(s);
                  if (next.has(category)) next.delete(category);
                  else next.add(category);
                  return next;
                })
              }
            >
              <span className="chevron" aria-hidden="true">{collapsed.has(category) ? "▸" : "▾"}</span> {category}
              <span className="count">{modules.length}</span>
            </button>
            {!collapsed.has(category) &&
              modules.map((m) => (
                <div
                  key={m.ref}
                  className={`palette-item${disabled ? " disabled" : ""}`}
                  draggable={!disabled}
                  tabIndex={0}
                  role="button"
                  title={`${m.description}\n${m.ref} · double-click, Enter or Space to add; W to put it into a wire`}
                  data-testid={`palette-${m.ref}`}
                  data-module-ref={m.ref}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(MODULE_MIME, m.ref);
                    e.dataTransfer.effectAllowed = "copy";
                  }}
                  onDoubleClick={() => !disabled && onAdd(m)}
                  onKeyDown={(e) => {
                    if ((e.key === "Enter" || e.key === " ") && !disabled) {
                      e.preventDefault(); // Space would scroll the list
                      onAdd(m);
                    }
                  }}
                >
                  <span className="palette-name">{m.display_name}</span>
                  <span className="palette-ports">
                    {m.inputs.map((p) => (
                      <i key={`i${p.name}`} className={`dot port-${p.type.toLowerCase()}`} title={`in ${p.name}: ${p.type}`} />
                    ))}
                    {m.inputs.length > 0 && m.outputs.length > 0 && <span className="arrow">→</span>}
                    {m.outputs.map((p) => (
                      <i key={`o${p.name}`} className={`dot port-${p.type.toLowerCase()}`} title={`out ${p.name}: ${p.type}`} />
                    ))}
                  </span>
                </div>
              ))}
          </section>
        ))}
        {matches.length === 0 && <p className="muted palette-empty">No module matches “{query}”.</p>}
      </div>
    </aside>
  );
}

export const Palette = memo(PaletteView);
