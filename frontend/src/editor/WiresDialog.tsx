// Wiring without a pointer (W on a module): the module's ports and what each can be wired to, to
// filter by typing, move through with the arrows and draw or remove with Enter. A choice makes the
// same operations as a drag, so it is one undo step, co-edited and saved like one.
import { useEffect, useMemo, useState } from "react";
import type { Catalogue } from "../graph/catalogue";
import type { GraphDocument } from "../graph/document";
import type { Operation } from "../graph/operations";
import { filterChoices, moduleNames, wireChoices, wireOperations, type WireChoice } from "../graph/wireChoices";
import { Dialog } from "../ui/Dialog";
import { useToast } from "../ui/toasts";

const LIST_ID = "wires-list";
const optionId = (i: number) => `wires-choice-${i}`;

/** The module W wires: the one with keyboard focus on the canvas, else the only one selected. */
export function moduleToWire(doc: GraphDocument, selected: ReadonlySet<string>): string | null {
  const focused = document.activeElement?.closest(".react-flow__node")?.getAttribute("data-id");
  const id = focused ?? (selected.size === 1 ? [...selected][0] : null);
  return id && doc.nodes.some((n) => n.id === id) ? id : null;
}

/** Move keyboard focus to a module on the canvas (where the dialog gives it back when it closes). */
export function focusModule(id: string): void {
  document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`)?.focus();
}

interface Props {
  nodeId: string;
  doc: GraphDocument;
  catalogue: Catalogue;
  dispatch: (ops: Operation[]) => void;
  onClose: () => void;
}

export function WiresDialog({ nodeId, doc, catalogue, dispatch, onClose }: Props) {
  const toast = useToast();
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const all = useMemo(() => wireChoices(doc, catalogue, nodeId), [catalogue, doc, nodeId]);
  const shown = useMemo(() => filterChoices(all, query), [all, query]);
  const current = Math.min(active, shown.length - 1);
  const groups = useMemo(() => grouped(shown), [shown]);
  const name = moduleNames(doc, catalogue).get(nodeId) ?? nodeId;

  useEffect(() => {
    document.getElementById(optionId(current))?.scrollIntoView?.({ block: "nearest" }); // jsdom has none
  }, [current]);

  const choose = (choice: WireChoice | undefined) => {
    if (!choice || choice.refused) return;
    const result = wireOperations(doc, catalogue, choice.action);
    if (!result.ok) {
      toast(result.reason, "error");
      return;
    }
    dispatch(result.ops);
    toast(choice.action.kind === "connect" ? `Wired ${choice.wire}.` : `Removed the wire ${choice.wire}.`, "success");
    onClose();
  };

  return (
    <Dialog title={`Wires of ${name}`} onClose={onClose} testId="wires-dialog">
      <input
        type="text"
        className="wires-filter"
        role="combobox"
        aria-label="Filter by module or port"
        aria-describedby="wires-help"
        aria-autocomplete="list"
        aria-expanded={shown.length > 0}
        aria-controls={shown.length > 0 ? LIST_ID : undefined}
        aria-activedescendant={shown.length > 0 ? optionId(current) : undefined}
        placeholder="Filter by module or port"
        value={query}
        data-testid="wires-filter"
        data-autofocus
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" || e.key === "ArrowUp") {
            e.preventDefault();
            setActive(Math.max(0, Math.min(shown.length - 1, current + (e.key === "ArrowDown" ? 1 : -1))));
          } else if (e.key === "Enter") {
            e.preventDefault();
            choose(shown[current]);
          }
        }}
      />
      <p id="wires-help" className="muted small">
        Type words to filter (“from sample”, “disconnect”). Up and down arrows choose, Enter wires or removes the wire, Escape
        closes. A dimmed choice says why it cannot be made.
      </p>
      <p className="sr-only" aria-live="polite">
        {shown.length === all.length ? `${all.length} choices` : `${shown.length} of ${all.length} choices`}
      </p>
      {shown.length > 0 ? (
        <div className="wires-list" role="listbox" id={LIST_ID} aria-label={`Wires of ${name}`}>
          {groups.map(([group, items], g) => (
            <div key={group} role="group" aria-labelledby={`wires-group-${g}`}>
              <div id={`wires-group-${g}`} className="wires-group">
                {group}
              </div>
              {items.map(({ choice, index }) => (
                <div
                  key={choice.key}
                  id={optionId(index)}
                  role="option"
                  aria-selected={index === current}
                  aria-disabled={choice.refused ? true : undefined}
                  className={`wires-choice${index === current ? " active" : ""}${choice.refused ? " refused" : ""}`}
                  data-testid="wires-choice"
                  onMouseDown={(e) => e.preventDefault()} // keep focus in the filter
                  onMouseMove={() => setActive(index)}
                  onClick={() => choose(choice)}
                >
                  {choice.label}
                  {choice.refused && <span className="wires-refused">{choice.refused}</span>}
                </div>
              ))}
            </div>
          ))}
        </div>
      ) : (
        <p className="muted" data-testid="wires-empty">
          {all.length === 0 ? `No other module has a port that fits ${name}: add one from the palette first.` : `Nothing matches “${query}”.`}
        </p>
      )}
    </Dialog>
  );
}

/** The shown choices by group, in order, each with its place in the whole list. */
function grouped(choices: readonly WireChoice[]): [string, { choice: WireChoice; index: number }[]][] {
  const groups = new Map<string, { choice: WireChoice; index: number }[]>();
  choices.forEach((choice, index) => groups.set(choice.group, [...(groups.get(choice.group) ?? []), { choice, index }]));
  return [...groups];
}
