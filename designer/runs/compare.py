"""Run vs run: for two runs of a graph, whether each step's key changed and why, and how the
metrics moved (newer minus older, with the direction in which each metric is better)."""

from __future__ import annotations

import math
from typing import Any

from designer.engine.artifacts import OutputRecord
from designer.engine.cache import changes, material
from designer.engine.plan import Plan, Step
from designer.graphs.analysis import node_labels
from designer.modules.specs.ml import METRIC_DIRECTIONS
from designer.runs.metrics import DONE, ordered, step_metrics
from designer.runs.models import DatasetUsage, Run, StepRun


def _materials(plan: Plan, steps: dict[str, StepRun]) -> dict[str, dict[str, Any]]:
    """The fingerprint material of every step whose inputs existed in that run."""
    outputs = {
        key: {port: OutputRecord.from_dict(info) for port, info in row.outputs.items()}
        for key, row in steps.items()
        if row.status in DONE
    }
    found = {}
    for step in plan.steps:
        if all(dep in outputs for dep in step.dependencies):
            found[step.key] = material(step, outputs)
    return found


def _datasets(run: Run) -> dict[str, tuple[str, str]]:
    return {
        usage.step: (usage.version.dataset.name, usage.version.digest)
        for usage in DatasetUsage.objects.filter(run=run).select_related("version__dataset")
    }


def _why(
    step: Step,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    context: dict[str, Any],
) -> list[dict[str, Any]]:
    """Why a step's key differs between the runs (or why it ran again with the same key)."""
    key, labels = step.key, context["labels"]
    if old is None or new is None:
        return [{"kind": "not_run", "run": "older" if old is None else "newer"}]
    why: list[dict[str, Any]] = []
    for change in changes(old, new):
        if change["kind"] == "input":
            source = change["source"]
            why.append({**change, "kind": "upstream", "source_label": labels.get(source, source)})
        elif change["kind"] == "environment":
            why.append({"kind": "image", "old": change["old"], "new": change["new"]})
        else:
            why.append(change)
    old_set, new_set = context["datasets"]
    if key in old_set or key in new_set:
        before, after = old_set.get(key), new_set.get(key)
        if before != after:
            name = (after or before or ("", ""))[0]
            why.append(
                {
                    "kind": "dataset",
                    "name": name,
                    "old": before and before[1],
                    "new": after and after[1],
                }
            )
    if not why and step.mode == "run":
        why.append({"kind": "requested", "target": context["target"]})
    if not why and context["bypassed"]:
        why.append({"kind": "bypassed"})
    if not why and not step.deterministic:
        why.append({"kind": "external"})
    return why


def _run_info(run: Run) -> dict[str, Any]:
    return {
        "id": run.pk,
        "version": run.graph_version.number,
        "status": run.status,
        "created_at": run.created_at,
        "created_by": run.created_by.username if run.created_by else None,
        "origin": run.endpoint_call,
        "parameters": run.parameters,
        "bypass_cache": bool(run.options.get("bypass_cache")),
    }


def compare_runs(first: Run, second: Run) -> dict[str, Any]:
    """Compare two runs of one graph: the older one is the baseline, whatever the order given."""
    older, newer = sorted((first, second), key=lambda r: (r.created_at, r.pk))
    plans = Plan.from_dict(older.plan), Plan.from_dict(newer.plan)
    rows = [{s.key: s for s in run.step_list} for run in (older, newer)]
    materials = [_materials(plan, steps) for plan, steps in zip(plans, rows, strict=True)]
    labels = {
        **node_labels(older.graph_version.document),
        **node_labels(newer.graph_version.document),
    }
    mode, node = plans[1].target
    context = {
        "labels": labels,
        "datasets": (_datasets(older), _datasets(newer)),
        "target": {"mode": mode, "node": node},
        "bypassed": bool(newer.options.get("bypass_cache")),
    }
    keys = [*plans[1].order, *(k for k in plans[0].order if k not in plans[1])]
    steps, metrics = [], []
    for key in keys:
        old_row, new_row = rows[0].get(key), rows[1].get(key)
        entry: dict[str, Any] = {
            "key": key,
            "label": labels.get(key, key),
            "module": {"older": old_row and old_row.module, "newer": new_row and new_row.module},
            "status": {"older": old_row and old_row.status, "newer": new_row and new_row.status},
            "fingerprint": {
                "older": old_row and old_row.fingerprint,
                "newer": new_row and new_row.fingerprint,
            },
        }
        if key not in plans[0]:
            entry.update(changed=True, why=[{"kind": "added"}])
        elif key not in plans[1]:
            entry.update(changed=True, why=[{"kind": "removed"}])
        else:
            old_mat, new_mat = materials[0].get(key), materials[1].get(key)
            changed = old_mat is None or new_mat is None or old_mat != new_mat
            ran_again = new_row is not None and new_row.status == "succeeded"
            why = _why(plans[1].step(key), old_mat, new_mat, context)
            entry.update(changed=changed, why=why if changed or ran_again else [])
        old_out = old_row.outputs if old_row else {}
        new_out = new_row.outputs if new_row else {}
        entry["outputs_changed"] = sorted(
            port
            for port in {*old_out, *new_out}
            if (old_out.get(port) or {}).get("digest") != (new_out.get(port) or {}).get("digest")
        )
        steps.append(entry)
        before, after = step_metrics(old_row), step_metrics(new_row)
        for port, group, name in ordered({*before, *after}):
            a, b = before.get((port, group, name)), after.get((port, group, name))
            delta = b - a if a is not None and b is not None else None
            direction = METRIC_DIRECTIONS.get(name)
            improved = None
            if delta is not None and direction and not math.isclose(delta, 0.0, abs_tol=1e-12):
                improved = (delta > 0) == (direction == "higher")
            metrics.append(
                {
                    "step": key,
                    "label": labels.get(key, key),
                    "port": port,
                    "input": group,
                    "name": name,
                    "older": a,
                    "newer": b,
                    "delta": delta,
                    "better": direction,
                    "improved": improved,
                }
            )
    graph = newer.graph_version.graph
    return {
        "workspace": newer.workspace_id,
        "graph": graph.pk,
        "graph_name": graph.name,
        "older": _run_info(older),
        "newer": _run_info(newer),
        "steps": steps,
        "metrics": metrics,
    }
