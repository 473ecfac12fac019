// Other people's mouse pointers on the canvas, in their colour, drawn in graph coordinates.
import { ViewportPortal } from "@xyflow/react";
import type { RemotePresence } from "./presence";

export function RemotePointers({ others }: { others: readonly RemotePresence[] }) {
  return (
    <ViewportPortal>
      {others.map((p) =>
        p.pointer ? (
          <div
            key={p.clientId}
            className="remote-pointer"
            style={{ transform: `translate(${p.pointer.x}px, ${p.pointer.y}px)`, color: p.user.color }}
            data-testid={`pointer-${p.user.name}`}
          >
            <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
              <path d="M1 1l5.5 13 2-5.5L14 6.5z" fill="currentColor" stroke="white" strokeWidth="1" />
            </svg>
            <span className="remote-pointer-name" style={{ background: p.user.color }}>{p.user.name}</span>
          </div>
        ) : null,
      )}
    </ViewportPortal>
  );
}
