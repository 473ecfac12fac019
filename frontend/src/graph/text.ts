// Shared text (comment text, code params are Y.Text): a new value written as the smallest edit.
import * as Y from "yjs";

export interface TextEdit {
  /** Where the changed span starts (UTF-16 code units, as Y.Text counts). */
  index: number;
  remove: number;
  insert: string;
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The one span that differs between two texts: the common start and end are kept, so what
 * someone else typed there meanwhile survives. Never splits a surrogate pair. */
export function textEdit(before: string, after: string): TextEdit {
  const shorter = Math.min(before.length, after.length);
  let start = 0;
  while (start < shorter && before.charCodeAt(start) === after.charCodeAt(start)) start += 1;
  if (start > 0 && isLowSurrogate(before.charCodeAt(start))) start -= 1;
  let end = 0;
  while (end < shorter - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end += 1;
  if (end > 0 && isLowSurrogate(before.charCodeAt(before.length - end))) end -= 1;
  return { index: start, remove: before.length - start - end, insert: after.slice(start, after.length - end) };
}

/** Make a Y.Text hold `value` by the smallest edit (call inside a transaction to give it an origin). */
export function writeText(text: Y.Text, value: string): void {
  const { index, remove, insert } = textEdit(text.toString(), value);
  if (remove > 0) text.delete(index, remove);
  if (insert) text.insert(index, insert);
}

/** Where a position in a text moves to when `delta` (a Y.Text event's) is applied to it; text
 * inserted right at it goes after it (the caret stays where the person left it). */
export function mapPosition(position: number, delta: readonly { insert?: unknown; delete?: number; retain?: number }[]): number {
  let at = 0; // where we are in the old text
  let moved = position;
  for (const op of delta) {
    if (at >= position) break; // nothing from here on moves it
    if (op.retain !== undefined) at += op.retain;
    else if (op.delete !== undefined) {
      moved -= Math.min(op.delete, position - at);
      at += op.delete;
    } else if (typeof op.insert === "string") moved += op.insert.length;
  }
  return moved;
}
