"""Training runs for the serving tests: a small training graph through the engine worker, its
inference graph, and scorers built from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from designer.engine.held import load_input
from designer.serving.derive import derive_inference_graph
from designer.serving.scorer import Scorer, build_scorer
from tests.unit.modules.harness import REGISTRY, DocumentRun, run_document

TRAINERS = {  # a learner's task → its trainer and scorer
    "supervised": ("ml.train_model@1", "ml.score_model@1"),
    "clustering": ("ml.train_clustering_model@1", "ml.assign_clusters@1"),
    "anomaly_detection": ("ml.train_anomaly_detection_model@1", "ml.score_model@1"),
}


def training_document(
    learner: str,
    params: dict[str, Any],
    data: str,
    label: str = "target",
    *,
    fit: str | None = None,
    fit_params: dict[str, Any] | None = None,
    clean: str | None = None,
    task: str = "supervised",
    wrapper: str | None = None,
) -> dict[str, Any]:
    """data → [clean missing with this strategy] → split → [`fit` (e.g. transform.normalize)
    with `fit_params` (else the label excluded) on the training rows, applied to the test rows]
    → learner [→ `wrapper`, e.g. ml.one_vs_all] → train → score (or the task's own trainer and
    scorer)."""
    nodes = [
        ("data", "data.sample_dataset@1", {"name": data}),
        ("split", "transform.split_rows@1", {"fraction": 0.25, "seed": 1}),
        ("learner", f"{learner}@1", params),
    ]
    wires = [("data", "dataset", "split", "dataset")]
    if clean:
        nodes.append(("clean", "transform.clean_missing@1", {"strategy": clean}))
        wires = [("data", "dataset", "clean", "dataset"), ("clean", "dataset", "split", "dataset")]
    rows, test = ("split", "train"), ("split", "test")
    if fit:
        name = fit.rpartition(".")[2]  # e.g. normalize
        nodes += [
            (name, f"{fit}@1", fit_params or {"exclude": [label]}),
            ("apply", "transform.apply_transform@1", {}),
        ]
        wires += [
            ("split", "train", name, "dataset"),
            (name, "transform", "apply", "transform"),
            ("split", "test", "apply", "dataset"),
        ]
        rows, test = (name, "dataset"), ("apply", "dataset")
    trainer, scorer = TRAINERS[task]
    nodes += [
        ("train", trainer, {} if task == "clustering" else {"label": label}),
        ("score", scorer, {}),
    ]
    learner_out = "learner"
    if wrapper:
        nodes.append(("wrapper", f"{wrapper}@1", {}))
        wires.append(("learner", "model", "wrapper", "model"))
        learner_out = "wrapper"
    wires += [
        (learner_out, "model", "train", "model"),
        (*rows, "train", "dataset"),
        ("train", "model", "score", "model"),
        (*test, "score", "dataset"),
    ]
    return {
        "schema_version": 1,
        "parameters": {},
        "nodes": [
            {"id": i, "module": m, "params": p, "position": {"x": 0, "y": 100 * n}}
            for n, (i, m, p) in enumerate(nodes)
        ],
        "edges": [
            {"id": f"e{n}", "source": {"node": s, "port": sp}, "target": {"node": t, "port": tp}}
            for n, (s, sp, t, tp) in enumerate(wires)
        ],
        "comments": [],
    }


@dataclass
class Trained:
    """A finished training run and its derived inference graph."""

    run: DocumentRun
    inference: dict[str, Any]
    label: str

    def scorer(self, **options: Any) -> Scorer:
        """Build a scorer of the inference graph from the run's stored artifacts."""
        store = self.run.store
        return build_scorer(
            self.inference, REGISTRY, lambda d, k: load_input(store, d, k), **options
        )

    def test_rows(self) -> pd.DataFrame:
        """The run's held-out rows as they came out of the split (label removed)."""
        test: pd.DataFrame = self.run.values["split"]["test"]
        return test.drop(columns=[self.label], errors="ignore")

    def scored(self) -> pd.DataFrame:
        """What Score model gave for those rows in the run."""
        scored: pd.DataFrame = self.run.values["score"]["dataset"]
        return scored


def train(document: dict[str, Any], tmp: Path, label: str = "target") -> Trained:
    """Run a training document and derive its inference graph."""
    run = run_document(document, tmp)
    inference = derive_inference_graph(document, run.records, REGISTRY, run_id=1)
    return Trained(run, inference, label)
