// Wiring without a pointer (W): what the focused module's ports can be wired to, where the focused
// wire's ends can move or what can go into it, or which wires the focused palette module can go
// into; filtered by typing, chosen with the arrows and Enter. A choice makes the same operations as
// a drag, so it is one undo step, co-edited and saved like one.
import { useEffect, useMemo, useState } from "react";
import type { Catalogue } from "../graph/catalogue";
import type { GraphDocument } from "../graph/document";
import type { Operation } from "../graph/operations";
import { filterChoices, wireOperations, wireView, type WireAction, type WireChoice, type WireSubject } from "../graph/wireChoices";
import { Dialog } from "../ui/Dialog";
import { useToast } from "../ui/toasts";

const LIST_ID = "wires-list";
const optionId = (i: number) => `wires-choice-${i}`;

/** What W wires: the palette module, module or wire with keyboard focus, else the only module
 * selected, else the only wire selected. */
export function subjectToWire(doc: GraphDocument, nodes: ReadonlySet<string>, edges: ReadonlySet<string>): WireSubject | null {
  const focused = document.activeElement;
  const ref = focused?.closest("[data-module-ref]")?.getAttribute("data-module-ref");
  const node = focused?.closest(".react-flow__node")?.getAttribute("data-id");
  const edge = focused?.closest(".react-flow__edge")?.getAttribute("data-id");
  const subject: WireSubject | null = ref
    ? { kind: "palette", module: ref }
    : node
      ? { kind: "node", id: node }
      : edge
        ? { kind: "edge", id: edge }
        : nodes.size === 1
          ? { kind: "node", id: [...nodes][0] }
          : nodes.size === 0 && edges.size === 1
            ? { kind: "edge", id: [...edges][0] }
            : null;
  if (subject?.kind === "node") return doc.nodes.some((n) => n.id === subject.id) ? subject : null;
  if (subject?.kind === "edge") return doc.edges.some((e) => e.id === subject.id) ? subject : null;
  return subject;
}

/** Move keyboard focus to a module on the canvas. */
export function focusModule(id: string): void {
  document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`)?.focus();
}

/** Focus a module once the canvas shows it (one just added appears a few frames later; React Flow
 * keeps it hidden until measured), trying each frame for about half a second. */
export function focusModuleWhenShown(id: string, frames = 30): void {
  window.requestAnimationFrame(() => {
    focusModule(id);
    const shown = document.activeElement?.closest(".react-flow__node")?.getAttribute("data-id") === id;
    if (!shown && frames > 0) focusModuleWhenShown(id, frames - 1);
  });
}

/** Move keyboard focus to what the dialog is about (where it gives focus back when it closes). */
export function focusSubject(subject: WireSubject): void {
  if (subject.kind === "node") focusModule(subject.id);
  else if (subject.kind === "edge") document.querySelector<HTMLElement>(`.react-flow__edge[data-id="${CSS.escape(subject.id)}"]`)?.focus();
}

/** The module focus should land on after a wire's choice took that wire away (the wire is then
 * gone, so focus cannot go back to it): the module put into it, else the wire's start. */
export function landing(doc: GraphDocument, subject: WireSubject, action: WireAction, ops: readonly Operation[]): string | undefined {
  if (subject.kind !== "edge" || action.kind === "reconnect") return undefined;
  if (action.kind === "insert") return action.node;
  const added = ops.find((op) => op.type === "add_node");
  if (added?.type === "add_node") return added.node.id;
  return doc.edges.find((e) => e.id === subject.id)?.source.node;
}

interface Props {
  subject: WireSubject;
  doc: GraphDocument;
  catalogue: Catalogue;
  dispatch: (ops: Operation[]) => void;
  /** Closed; `focus`: a module to focus (and select) instead of going back to what had focus. */
  onClose: (focus?: string) => void;
}

export function WiresDialog({ subject, doc, catalogue, dispatch, onClose }: Props) {
  const toast = useToast();
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const view = useMemo(() => wireView(doc, catalogue, subject), [catalogue, doc, subject]);
  const all = useMemo(() => view?.choices ?? [], [view]);
  const shown = useMemo(() => filterChoices(all, query), [all, query]);
  const current = Math.min(active, shown.length - 1);
  const groups = useMemo(() => grouped(shown), [shown]);

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
    toast(choice.done, "success");
    onClose(landing(doc, subject, choice.action, result.ops));
  };

  useEffect(() => {
    if (!view) onClose(); // a co-editor removed it meanwhile
  }, [onClose, view]);

  if (!view) return null;
  return (
    <Dialog title={view.title} onClose={() => onClose()} testId="wires-dialog">
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
        Type words to filter (“from sample”, “move end”, “new normalize”, “disconnect”). Up and down arrows choose, Enter
        makes the choice, Escape closes. A dimmed choice says why it cannot be made.
      </p>
      <p className="sr-only" aria-live="polite">
        {shown.length === all.length ? `${all.length} choices` : `${shown.length} of ${all.length} choices`}
      </p>
      {shown.length > 0 ? (
        <div className="wires-list" role="listbox" id={LIST_ID} aria-label={view.title}>
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
          {all.length === 0 ? view.none : `Nothing matches “${query}”.`}
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
