"""The metrics a run's steps reported, read from their JSON outputs: for comparing two runs and
for the table of a pipeline's runs side by side."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from designer.engine.store import ArtifactError
from designer.graphs.analysis import node_labels
from designer.graphs.modules import metric_ports
from designer.modules.specs.ml import METRIC_DIRECTIONS
from designer.runs import engine_setup
from designer.runs.models import Run, StepRun

DONE = ("succeeded", "reused")
MetricKey = tuple[str, str | None, str]  # (port, scored input or None, metric)


def step_metrics(row: StepRun | None) -> dict[MetricKey, float | None]:
    """(port, scored input or None, metric) → value of a done step's Metrics outputs: its other
    JSON outputs (a script's figures: megabytes of images) are not read."""
    found: dict[MetricKey, float | None] = {}
    if row is None or row.status not in DONE:
        return found
    ports = metric_ports(row.module)
    store = engine_setup.artifact_store()
    for port, info in row.outputs.items():
        if info.get("kind") != "json" or port not in ports:
            continue
        try:
            value = json.loads(store.get(info["digest"]))
        except (ArtifactError, OSError, ValueError):
            continue
        if not isinstance(value, dict):
            continue
        results = value.get("results")
        if isinstance(results, list) and len(results) > 1:
            groups = [(r.get("input"), r.get("metrics")) for r in results if isinstance(r, dict)]
        else:
            inner = value.get("metrics")  # Evaluate's own metrics; a script's are the dict
            groups = [(None, inner if isinstance(inner, dict) else value)]
        for group, metrics in groups:
            if not isinstance(metrics, dict):
                continue
            for name, number in metrics.items():
                numeric = isinstance(number, (int, float)) and not isinstance(number, bool)
                if numeric or number is None:
                    found[(port, group, name)] = number
    return found


def ordered(keys: Iterable[MetricKey]) -> list[MetricKey]:
    """Metric keys by port, scored input, then name."""
    return sorted(keys, key=lambda k: (k[0], k[1] or "", k[2]))


class RunMetrics:
    """Reads the Metrics outputs of runs of one graph, each graph version's labels once."""

    def __init__(self) -> None:
        self.labels: dict[int, dict[str, str]] = {}

    def of(self, run: Run) -> list[dict[str, Any]]:
        """Every metric the run's evaluating steps reported, in plan order."""
        version = run.graph_version
        if version.pk not in self.labels:
            self.labels[version.pk] = node_labels(version.document)
        labels = self.labels[version.pk]
        found = []
        for row in run.step_list:
            values = step_metrics(row)
            for key in ordered(values):
                port, group, name = key
                found.append(
                    {
                        "step": row.key,
                        "label": labels.get(row.key, row.key),
                        "port": port,
                        "input": group,
                        "name": name,
                        "value": values[key],
                        "better": METRIC_DIRECTIONS.get(name),
                    }
                )
        return found
