"""The metrics a run's steps reported, read from their JSON outputs: for comparing two runs and
for the table of a pipeline's runs side by side."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import islice
from typing import Any

from designer.engine.artifacts import MAX_JSON_BYTES
from designer.engine.metrics import MAX_METRICS, metric_groups
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
    JSON outputs (a script's figures: megabytes of images) are not read, nor a Metrics output
    past MAX_JSON_BYTES (stored before that bound), and at most MAX_METRICS of each are listed."""
    found: dict[MetricKey, float | None] = {}
    if row is None or row.status not in DONE:
        return found
    ports = metric_ports(row.module)
    store = engine_setup.artifact_store()
    for port, info in row.outputs.items():
        if info.get("kind") != "json" or port not in ports:
            continue
        if info.get("size", 0) > MAX_JSON_BYTES:
            continue
        try:
            value = json.loads(store.get(info["digest"]))
        except (ArtifactError, OSError, ValueError):
            continue
        metrics = (
            ((port, group, name), number)
            for group, named in metric_groups(value)
            for name, number in named.items()
        )
        for key, number in islice(metrics, MAX_METRICS):
            numeric = isinstance(number, (int, float)) and not isinstance(number, bool)
            if numeric or number is None:
                found[key] = number
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
