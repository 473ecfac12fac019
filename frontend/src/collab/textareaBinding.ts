// A textarea bound to a shared text (Y.Text): what is typed goes in as the smallest edit, and
// others' edits (and undo) come in with the caret and selection kept where they were.
import type * as Y from "yjs";
import { mapPosition } from "../graph/text";

export class TextareaBinding {
  /** `write` puts the textarea's new value into the text (the store: as my edit, by a diff). */
  constructor(
    private readonly area: HTMLTextAreaElement,
    private readonly text: Y.Text,
    private readonly write: (value: string) => void,
  ) {
    area.value = text.toString();
    area.addEventListener("input", this.typed);
    text.observe(this.changed);
  }

  destroy(): void {
    this.area.removeEventListener("input", this.typed);
    this.text.unobserve(this.changed);
  }

  private readonly typed = (): void => {
    if (this.area.value !== this.text.toString()) this.write(this.area.value);
  };

  private readonly changed = (event: Y.YTextEvent): void => {
    const value = this.text.toString();
    if (value === this.area.value) return; // what was just typed here
    const { selectionStart, selectionEnd, selectionDirection } = this.area;
    this.area.value = value;
    this.area.setSelectionRange(mapPosition(selectionStart, event.delta), mapPosition(selectionEnd, event.delta), selectionDirection ?? undefined);
  };
}
