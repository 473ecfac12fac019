import { act } from "react";
import { describe, expect, it } from "vitest";
import { mountEach } from "../test/dom";
import { ToastProvider, useToast, type ToastKind } from "./toasts";

const dom = mountEach();

let push: ReturnType<typeof useToast> = () => undefined;
function Grab() {
  push = useToast();
  return null;
}

const shown = () => [...dom.container.querySelectorAll('[data-testid="toast"]')].map((t) => t.firstChild?.textContent);

describe("toasts", () => {
  it("a toast about the same topic replaces the one before; others stack", () => {
    act(() => dom.root.render(<ToastProvider><Grab /></ToastProvider>));
    const say = (text: string, kind: ToastKind, topic?: string) => act(() => push(text, kind, topic));
    say("Run 9 failed: 1 ran", "error", "run-end");
    say("Saved version 3.", "success");
    say("Run 10 succeeded: 3 ran", "success", "run-end");
    expect(shown()).toEqual(["Saved version 3.", "Run 10 succeeded: 3 ran"]);
  });
});
