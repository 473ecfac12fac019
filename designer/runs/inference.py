"""Real-time inference on the runs side: derive an inference graph from a finished run, check
that frozen nodes only name outputs of this workspace's runs, build a scorer for a version."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from designer.api_errors import ApiError, problem_count
from designer.engine.held import load_input
from designer.engine.plan import Plan
from designer.graphs import services as graph_services
from designer.graphs.analysis import module_registry
from designer.graphs.models import Graph, GraphVersion
from designer.modules.specs.frozen import FROZEN_KINDS
from designer.runs import records
from designer.runs.engine_setup import artifact_store
from designer.runs.models import Run, RunStatus, StepRun
from designer.serving.derive import DeriveError, derive_inference_graph
from designer.serving.scorer import BuildError, Scorer, build_scorer


def create_inference_graph(
    run: Run, user: Any, *, score_node: str | None = None, name: str | None = None
) -> Graph:
    """A new graph in the run's workspace: the run's scoring path with its fits frozen."""
    if run.status != RunStatus.SUCCEEDED:
        raise ApiError(
            409,
            "run_not_succeeded",
            f"Run {run.pk} is {run.status}; an inference graph needs a run that succeeded.",
        )
    outputs = {step.key: step.outputs for step in run.step_list}
    try:
        document = derive_inference_graph(
            run.graph_version.document,
            outputs,
            module_registry(),
            run_id=run.pk,
            score_node=score_node,
        )
    except DeriveError as exc:
        raise ApiError(400, "no_inference_graph", str(exc), exc.issues) from exc
    graph = run.graph_version.graph
    title = name or f"{graph.name} · real-time inference (run {run.pk})"
    return graph_services.create_graph(
        graph.workspace,
        user,
        title[:200],
        f"Derived from run {run.pk} of {graph.name!r} (version {run.graph_version.number}).",
        document,
    )


def _workspace_step(workspace_id: int, run_id: Any, key: str) -> StepRun | None:
    """A step of a run of the workspace (stored as rows or inline), None when there is none."""
    inline = Run.objects.filter(pk=run_id, workspace_id=workspace_id, stored_inline=True).first()
    if inline is not None:
        return records.find_step(inline, key)
    return StepRun.objects.filter(run_id=run_id, run__workspace_id=workspace_id, key=key).first()


def frozen_issues(
    workspace_id: int, nodes: Iterable[tuple[str, str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Issues for frozen nodes ((id, "name@version", params)) whose run, step, output and digest
    are not those of an output of a run in `workspace_id`."""
    issues = []
    for node_id, module, params in nodes:
        kind = FROZEN_KINDS.get(module.rpartition("@")[0])
        if kind is None:
            continue
        step = _workspace_step(workspace_id, params.get("run"), str(params.get("step")))
        output = (step.outputs if step is not None else {}).get(str(params.get("port")))
        if not output or output.get("digest") != params.get("digest") or output.get("kind") != kind:
            issues.append(
                {
                    "node": node_id,
                    "param": "digest",
                    "code": "not_in_workspace",
                    "message": f"node {node_id}: run {params.get('run')} of this workspace has "
                    f"no output {params.get('step')}.{params.get('port')} with this digest",
                }
            )
    return issues


def frozen_nodes(plan: Plan) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The frozen steps of a plan as (id, module, params)."""
    for step in plan.steps:
        if step.module.rpartition("@")[0] in FROZEN_KINDS:
            yield step.key, step.module, step.params


def check_frozen(workspace_id: int, nodes: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
    """400 naming every frozen node that does not name an output of this workspace's runs."""
    issues = frozen_issues(workspace_id, nodes)
    if issues:
        raise ApiError(
            400,
            "invalid_graph",
            f"The graph cannot run ({problem_count(issues)}): {issues[0]['message']}",
            issues,
        )


def build_version_scorer(version: GraphVersion, *, onnx: bool = True) -> Scorer:
    """Compile a saved inference graph version into a scorer (400 naming what stops it)."""
    return build_document_scorer(version.document, version.graph.workspace_id, onnx=onnx)


def build_document_scorer(
    document: dict[str, Any], workspace_id: int, *, onnx: bool = True
) -> Scorer:
    """Compile an inference graph of a workspace into a scorer (400 naming what stops it)."""
    check_frozen(
        workspace_id,
        ((n["id"], n["module"], n.get("params") or {}) for n in document["nodes"]),
    )
    store = artifact_store()
    try:
        return build_scorer(
            document,
            module_registry(),
            lambda digest, kind: load_input(store, digest, kind),
            onnx=onnx,
        )
    except BuildError as exc:
        raise ApiError(400, "not_servable", str(exc), exc.issues) from exc
