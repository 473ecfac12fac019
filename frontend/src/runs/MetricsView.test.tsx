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
});
