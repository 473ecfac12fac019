import { act } from "react";
import { describe, expect, it } from "vitest";
import { mountEach } from "../test/dom";
import { MetricsView } from "./OutputPreview";

const dom = mountEach();

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
    act(() => dom.root.render(<MetricsView values={{ results }} />));
    const notes = [...dom.container.querySelectorAll('[data-testid="metrics-unavailable"]')];
    expect(notes.map((n) => n.textContent)).toEqual([`Not available: auc, log loss, curves — ${why}`]);
    expect(dom.container.querySelector('[data-testid="metric-accuracy"]')).not.toBeNull();
  });

  it("shows a script's metrics by name, one named metrics among them, and says when there are none", () => {
    act(() => dom.root.render(<MetricsView values={{ score: 0.25, metrics: 3 }} />));
    expect(dom.container.querySelector('[data-testid="metric-score"] .metric-value')?.textContent).toBe("0.25");
    expect(dom.container.querySelector('[data-testid="metric-metrics"] .metric-value')?.textContent).toBe("3");
    act(() => dom.root.render(<MetricsView values={{}} />));
    expect(dom.container.querySelector('[data-testid="metrics-none"]')?.textContent).toBe("No metrics were reported.");
  });
});
