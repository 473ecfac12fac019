"""What a Metrics output lists, as every reader reads it: groups of named metrics (one per
scored input), and how many of them a Metrics output may hold."""

from __future__ import annotations

from typing import Any

# named metrics one Metrics output may hold (a script's: 100; Evaluate's: ~20; decision 0089)
MAX_METRICS = 1000

MetricGroup = tuple[Any, dict[str, Any]]  # (the scored input it is about, or None; metrics)


def metric_groups(value: Any) -> list[MetricGroup]:
    """The metrics of a Metrics output: Evaluate's results one group per scored input, else its
    own `metrics` dict (Evaluate's, Cross-validate's), else the dict itself (a script's)."""
    if not isinstance(value, dict):
        return []
    results = value.get("results")
    if isinstance(results, list) and len(results) > 1:
        pairs = [(r.get("input"), r.get("metrics")) for r in results if isinstance(r, dict)]
    else:
        inner = value.get("metrics")
        pairs = [(None, inner if isinstance(inner, dict) else value)]
    return [(group, metrics) for group, metrics in pairs if isinstance(metrics, dict)]


def metric_count(value: Any) -> int:
    """How many named metrics a Metrics output holds, across its groups."""
    return sum(len(metrics) for _, metrics in metric_groups(value))
