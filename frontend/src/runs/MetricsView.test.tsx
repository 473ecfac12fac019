import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MetricsView } from "./OutputPreview";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  container = document.createElement("div");
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

describe("metrics", () => {
  it("says which figures a model without probabilities cannot give, and why", () => {
    const why = "the model gives no class probabilities (one-vs-one votes)";
    const results = [
      {
        input: "scored",
        learner: "One-vs-one (Logistic regression)",
        metrics: { accuracy: 0.9, auc: null, log_loss: null },
        curves: {},
        unavailable: { auc: why, log_loss: why, curves: why },
      },
      { input: "scored2", learner: "Naive Bayes classifier", metrics: { accuracy: 0.8, auc: 0.95 } },
    ];
    act(() => root.render(<MetricsView values={{ results }} />));
    const notes = [...container.querySelectorAll('[data-testid="metrics-unavailable"]')];
    expect(notes.map((n) => n.textContent)).toEqual([`Not available: auc, log loss, curves — ${why}`]);
    expect(container.querySelector('[data-testid="metric-accuracy"]')).not.toBeNull();
  });
});
