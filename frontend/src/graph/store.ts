// One store holds the document being edited; every edit is a transaction of operations, undoable.
import { applyOperations, type Operation } from "./operations";
import type { GraphDocument } from "./document";

interface Transaction {
  label: string;
  ops: Operation[];
  inverse: Operation[];
  coalesce?: string;
  at: number;
}

export interface DispatchOptions {
  /** Consecutive transactions with the same key within a second merge into one undo step. */
  coalesce?: string;
  label?: string;
}

type Listener = () => void;

const COALESCE_MS = 1000;

export class GraphStore {
  private doc: GraphDocument;
  private undoStack: Transaction[] = [];
  private redoStack: Transaction[] = [];
  private listeners = new Set<Listener>();
  /** Bumped on every change to the document; autosave compares it with what it saved. */
  revision = 0;
  private readonly limit: number;
  private readonly now: () => number;

  constructor(doc: GraphDocument, opts: { limit?: number; now?: () => number } = {}) {
    this.doc = doc;
    this.limit = opts.limit ?? 200;
    this.now = opts.now ?? (() => Date.now());
  }

  get document(): GraphDocument {
    return this.doc;
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): GraphDocument => this.doc;

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Apply a transaction; nothing changes if any operation fails. */
  dispatch(ops: Operation[], opts: DispatchOptions = {}): void {
    if (ops.length === 0) return;
    const { doc, inverse } = applyOperations(this.doc, ops);
    const at = this.now();
    const last = this.undoStack[this.undoStack.length - 1];
    if (opts.coalesce && last && last.coalesce === opts.coalesce && at - last.at < COALESCE_MS) {
      last.ops = [...last.ops, ...ops];
      last.inverse = [...inverse, ...last.inverse];
      last.at = at;
    } else {
      this.undoStack.push({ label: opts.label ?? ops[0].type, ops, inverse, coalesce: opts.coalesce, at });
      if (this.undoStack.length > this.limit) this.undoStack.shift();
    }
    this.redoStack = [];
    this.commit(doc);
  }

  undo(): boolean {
    const t = this.undoStack.pop();
    if (!t) return false;
    this.commit(applyOperations(this.doc, t.inverse).doc);
    this.redoStack.push({ ...t, coalesce: undefined });
    return true;
  }

  redo(): boolean {
    const t = this.redoStack.pop();
    if (!t) return false;
    this.commit(applyOperations(this.doc, t.ops).doc);
    this.undoStack.push({ ...t, coalesce: undefined });
    return true;
  }

  /** Replace the document (a load from the server); history starts again. */
  reset(doc: GraphDocument): void {
    this.undoStack = [];
    this.redoStack = [];
    this.commit(doc);
  }

  private commit(doc: GraphDocument): void {
    this.doc = doc;
    this.revision += 1;
    for (const l of [...this.listeners]) l();
  }
}
