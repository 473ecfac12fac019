// A modal dialog: focus moves in (to the control marked data-autofocus, else the first one), Escape closes (unless it must be answered), the page behind is inert.
import { useEffect, useRef, type ReactNode } from "react";

interface Props {
  title: string;
  onClose?: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
  testId?: string;
}

export function Dialog({ title, onClose, children, footer, wide, testId }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const body = ref.current;
    const first = body?.querySelector<HTMLElement>("[data-autofocus]") ?? body?.querySelector<HTMLElement>("[autofocus], input, select, textarea, button.primary, button");
    first?.focus();
    return () => previous?.focus?.();
  }, []);
  return (
    <div
      className="dialog-backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) onClose?.();
      }}
    >
      <div
        ref={ref}
        className={`dialog${wide ? " dialog-wide" : ""}`}
        role="dialog"
        aria-modal="true"
        aria-label={title}
        data-testid={testId}
        onKeyDown={(e) => {
          if (e.key === "Escape" && onClose) {
            e.stopPropagation();
            onClose();
          }
        }}
      >
        <header className="dialog-header">
          <h2>{title}</h2>
          {onClose && (
            <button className="icon-button" aria-label="Close" onClick={onClose}>
              ×
            </button>
          )}
        </header>
        <div className="dialog-body">{children}</div>
        {footer && <footer className="dialog-footer">{footer}</footer>}
      </div>
    </div>
  );
}
