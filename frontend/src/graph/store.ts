// The one store of the document being edited: a shared Y document that everyone who has the graph
// open edits together. Every local edit is a transaction of operations; undo takes back this
// editor's own edits only (Yjs's UndoManager tracks this store's transactions, not remote ones).
import { YSyncConfig } from "y-codemirror.next";
import * as Y from "yjs";
import { emptyDocument, type GraphDocument } from "./document";
import { applyOperations, type Operation } from "./operations";
import { applyToShared, DocumentReader, keepLostTyping, NO_TEXT_PARAMS, sharedRoots, type TextParams } from "./shared";
import { writeText } from "./text";

export interface DispatchOptions {
  /** Consecutive transactions with the same key within a second merge into one undo step. */
  coalesce?: string;
}

type Listener = () => void;

const COALESCE_MS = 1000;

export class GraphStore {
  readonly ydoc: Y.Doc;
  private doc: GraphDocument = emptyDocument();
  private readonly reader = new DocumentReader();
  private readonly undoManager: Y.UndoManager;
  private readonly listeners = new Set<Listener>();
  private lastCoalesce: string | undefined;
  private readonly keepLostTyping: (events: Array<Y.YEvent<Y.AbstractType<unknown>>>, transaction: Y.Transaction) => void;
  /** Bumped on every change to the document, local or remote. */
  revision = 0;

  /** `textParams`: the code params of each module, made shared text (Y.Text) with new nodes. */
  constructor(
    ydoc: Y.Doc = new Y.Doc(),
    private readonly textParams: TextParams = NO_TEXT_PARAMS,
  ) {
    this.ydoc = ydoc;
    const roots = sharedRoots(ydoc);
    this.undoManager = new Y.UndoManager([roots.nodes, roots.edges, roots.comments, roots.parameters], {
      // This store's transactions, and typing in a code editor bound to a code param (its
      // binding's origin is a YSyncConfig, one per editor).
      trackedOrigins: new Set<unknown>([this, YSyncConfig]),
      captureTimeout: COALESCE_MS,
    });
    this.keepLostTyping = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>, transaction: Y.Transaction) => keepLostTyping(events, transaction, this);
    roots.nodes.observeDeep(this.keepLostTyping);
    roots.comments.observeDeep(this.keepLostTyping);
    ydoc.on("afterTransaction", (transaction: Y.Transaction) => {
      if (transaction.changed.size === 0) return;
      this.reader.changed(transaction.changedParentTypes.keys());
      this.refresh();
    });
    this.doc = this.reader.read(ydoc);
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
    return this.undoManager.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.undoManager.redoStack.length > 0;
  }

  /** Apply a transaction; nothing changes if any operation fails (OperationError). */
  dispatch(ops: Operation[], opts: DispatchOptions = {}): void {
    if (ops.length === 0) return;
    applyOperations(this.doc, ops); // checks every operation against the document first
    this.startStep(opts.coalesce);
    const roots = sharedRoots(this.ydoc);
    this.ydoc.transact(() => {
      for (const op of ops) applyToShared(roots, op, this.textParams);
    }, this);
  }

  /** Write what was typed into a shared text by the smallest edit; consecutive writes with the
   * same `coalesce` key within a second are one undo step, as with dispatch. */
  editText(text: Y.Text, value: string, coalesce: string): void {
    this.startStep(coalesce);
    this.ydoc.transact(() => writeText(text, value), this);
  }

  /** A new undo step, unless this edit continues the last one (same `coalesce` key). */
  private startStep(coalesce: string | undefined): void {
    if (!coalesce || coalesce !== this.lastCoalesce) this.undoManager.stopCapturing();
    this.lastCoalesce = coalesce;
  }

  /** Take back this editor's last edit (others' edits stay). */
  undo(): boolean {
    this.lastCoalesce = undefined;
    return this.undoManager.undo() !== null;
  }

  redo(): boolean {
    this.lastCoalesce = undefined;
    return this.undoManager.redo() !== null;
  }

  /** Stop tracking (the editor closes). */
  destroy(): void {
    const roots = sharedRoots(this.ydoc);
    roots.nodes.unobserveDeep(this.keepLostTyping);
    roots.comments.unobserveDeep(this.keepLostTyping);
    this.undoManager.destroy();
    this.listeners.clear();
  }

  private refresh(): void {
    this.doc = this.reader.read(this.ydoc);
    this.revision += 1;
    for (const l of [...this.listeners]) l();
  }
}
