// One run followed live: its socket (snapshot, then events; resumed after a drop) and the log lines
// told before the socket opened, read from the API and placed by number.
import { useEffect, useRef, useState } from "react";
import type { ToastKind } from "../ui/toasts";
import { attemptsWithLines, loadAttemptLines, withPage } from "./logs";
import { openRunSocket } from "./socket";
import { applyRunMessage, type RunView } from "./state";

export function useRunView(runId: number | null, toast: (text: string, kind?: ToastKind) => void): { runView: RunView | null; socketUp: boolean } {
  const [runView, setRunView] = useState<RunView | null>(null);
  const [socketUp, setSocketUp] = useState(true);
  const viewRef = useRef<RunView | null>(null);

  useEffect(() => {
    if (runId === null) return undefined;
    let open = true;
    const update = (next: RunView | null) => {
      viewRef.current = next;
      setRunView(next);
    };
    update(null);
    const socket = openRunSocket(runId, () => viewRef.current?.seq ?? null, {
      onMessage: (msg) => {
        if (msg.type === "error") {
          toast(msg.data.message, "error");
          return;
        }
        update(applyRunMessage(viewRef.current, msg));
        if (msg.type === "run.snapshot" && viewRef.current) {
          for (const a of attemptsWithLines(viewRef.current)) {
            void loadAttemptLines(runId, a.step, a.attempt, 0, a.lines, (page) => {
              if (open && viewRef.current) update(withPage(viewRef.current, page));
            }).catch(() => undefined);
          }
        }
      },
      onConnection: setSocketUp,
    });
    return () => {
      open = false;
      socket.close();
    };
  }, [runId, toast]);

  return { runView, socketUp };
}
