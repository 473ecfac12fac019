"""What the graph layer can tell before a run: a run's plan step by step (what a run would do if
started now, and what the plan stored with a run says next to what each step did), and each
node's table columns inferred statically."""

from __future__ import annotations

from typing import Any

from designer.engine.cache import NullCache
from designer.engine.columns import Column, Columns, infer_columns
from designer.engine.machine import preview
from designer.engine.params import INT_MAX
from designer.engine.plan import Plan
from designer.engine.runners.docker import pin_plan_images
from designer.engine.types import PortType
from designer.graphs.analysis import module_registry, node_labels, parse_document, plan_for_run
from designer.graphs.models import Graph
from designer.modules import schemas
from designer.runs import engine_setup, run_rows
from designer.runs.models import DatasetVersion, Run, StepRun


def _step_row(step: dict[str, Any], order: int, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "key": step["key"],
        "label": labels.get(step["key"], step["key"]),
        "module": step["module"],
        "order": order,
        "mode": step["mode"],
        "dependencies": step["dependencies"],
        "params": step["params"],
        "timeout": step.get("timeout"),
        "retries": step.get("retries"),
        "image": step["environment"].get("image"),
    }


def preview_plan(
    graph: Graph,
    document: dict[str, Any],
    *,
    parameters: dict[str, Any],
    bypass_cache: bool = False,
    from_node: str | None = None,
    only_node: str | None = None,
) -> dict[str, Any]:
    """What a run of `document` would do now: each step reused (from which run), run (why), or
    decided once the steps it waits for ran; nothing is run or recorded (400 if it cannot run)."""
    plan = pin_plan_images(
        plan_for_run(document, parameters, run_from=from_node, run_only=only_node)
    )
    decided = preview(
        plan,
        cache=NullCache() if bypass_cache else engine_setup.workspace_cache(graph.workspace_id),
        store=engine_setup.artifact_store(),
        scope=engine_setup.graph_scope(graph.pk),
    )
    labels = node_labels(document)
    steps = []
    pairs = zip(plan.to_dict()["steps"], decided, strict=True)
    for order, (step, decision) in enumerate(pairs, start=1):
        steps.append(
            {
                **_step_row(step, order, labels),
                "action": decision.action,
                "reason": decision.reason,
                "fingerprint": decision.fingerprint,
                "reused_from": decision.run_id or None,
                "after": list(decision.after),
            }
        )
    runs = run_rows.refs(graph.workspace_id, {s["reused_from"] for s in steps if s["reused_from"]})
    return _plan_body(plan, steps, runs)


def _plan_body(
    plan: Plan, steps: list[dict[str, Any]], runs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    mode, node = plan.target
    counts = {action: 0 for action in ("reuse", "run", "after")}
    for step in steps:
        counts[step["action"]] = counts.get(step["action"], 0) + 1
    return {
        "target": {"mode": mode, "node": node},
        "parameters": plan.parameters,
        "counts": counts,
        "steps": steps,
        "runs": runs,
    }


def stored_plan(run: Run) -> dict[str, Any]:
    """The plan a run executed, step by step, with what each step did."""
    plan = Plan.from_dict(run.plan)
    labels = node_labels(run.graph_version.document)
    rows: dict[str, StepRun] = {s.key: s for s in run.step_list}
    steps = []
    for order, step in enumerate(run.plan["steps"], start=1):
        row = rows.get(step["key"])
        status = row.status if row else "pending"
        steps.append(
            {
                **_step_row(step, order, labels),
                "action": {"reused": "reuse", "pending": "after"}.get(status, "run"),
                "status": status,
                "reason": row.reason if row else "",
                "fingerprint": row.fingerprint if row else "",
                "reused_from": (row.reused_from or None) if row else None,
                "after": [],
            }
        )
    runs = run_rows.refs(run.workspace_id, {s["reused_from"] for s in steps if s["reused_from"]})
    return _plan_body(plan, steps, runs)


def _dataset_columns(workspace_id: int) -> schemas.DatasetColumns:
    def lookup(name: str, version: str | None) -> Columns:
        versions = DatasetVersion.objects.filter(
            dataset__workspace_id=workspace_id, dataset__name=name
        ).order_by("-created_at", "-id")
        if version:
            versions = versions.filter(digest__startswith=version)
        found = versions.first()
        if found is None:
            return None
        dtypes = {c.get("name"): c.get("dtype", "") for c in found.summary.get("columns", [])}
        return [{"name": str(c), "dtype": str(dtypes.get(c, ""))} for c in found.columns]

    return lookup


def _table_columns(output: Any) -> list[Column] | None:
    """The columns an output's summary lists, None when it lists only some (a wide table)."""
    summary = (output or {}).get("summary") or {}
    listed = summary.get("columns")
    if listed is None or summary.get("column_count") != len(listed):
        return None
    return [{"name": str(c["name"]), "dtype": str(c.get("dtype", ""))} for c in listed]


def _recorded_fits(workspace_id: int) -> schemas.RecordedFits:
    def lookup(params: Any) -> schemas.RecordedFit | None:
        run_id = params.get("run")  # as posted: the page asks before the params are checked
        if type(run_id) is not int or not 0 < run_id <= INT_MAX:
            return None
        run = Run.objects.filter(pk=run_id, workspace_id=workspace_id).first()
        if run is None:
            return None
        steps = {step.key: step for step in run.step_list}
        step = steps.get(str(params.get("step")))
        output = step.outputs.get(str(params.get("port"))) if step is not None else None
        if step is None or not output or output.get("digest") != params.get("digest"):
            return None
        planned: dict[str, Any] = next(
            (s for s in run.plan.get("steps", []) if s["key"] == step.key), {}
        )
        wire: dict[str, Any] = next(
            (w for w in planned.get("inputs", []) if w["port"] == "dataset"), {}
        )
        source = wire.get("from") or {}
        upstream = steps.get(source.get("step"))
        fitted_on = _table_columns(upstream.outputs.get(source.get("port"))) if upstream else None
        made = _table_columns(step.outputs.get("dataset"))
        return None if fitted_on is None or made is None else (step.module, fitted_on, made)

    return lookup


def node_columns(graph: Graph, document: Any) -> dict[str, dict[str, Columns]]:
    """Node id -> table output port -> its columns as far as they are known without running (400
    when the document is malformed); a transform port's effect on columns stays inference's."""
    datasets, fits = _dataset_columns(graph.workspace_id), _recorded_fits(graph.workspace_id)

    def infer(module: str, params: Any, inputs: Any) -> Any:
        return schemas.infer(module, params, inputs, datasets, fits)

    parsed, registry = parse_document(document), module_registry()
    known = infer_columns(parsed, registry, infer)
    tables: dict[str, dict[str, Columns]] = {}
    for node in parsed.nodes:
        spec = registry.get(node.module)
        if spec is None or node.id not in known:
            continue
        ports = {p.name for p in spec.outputs if p.type is PortType.DATAFRAME}
        tables[node.id] = {
            port: value
            for port, value in known[node.id].items()
            if port in ports and not isinstance(value, dict)
        }
    return tables
