"""Writes for runs: start, cancel, edit-and-resume, and saving engine events with their messages.

Every change to Run / StepRun / RunEvent (or a run's RunRecord) goes through here: the state is
saved and its protocol messages appended to the run's event log in one transaction (seq
allocated under the Run row lock); the messages are published to the channel groups after the
commit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.db import transaction

from designer.api_errors import ApiError
from designer.engine.context import StepError
from designer.engine.events import Event
from designer.engine.hashing import canonical_json
from designer.engine.plan import Plan
from designer.engine.registry import Registry
from designer.engine.runners.docker import pin_plan_images
from designer.graphs import services as graph_services
from designer.graphs.analysis import module_registry, plan_for_run, with_node_params
from designer.graphs.models import Graph, GraphVersion
from designer.runs import (
    broker,
    dataset_services,
    dispatch,
    engine_setup,
    eventlog,
    fastpath,
    inference,
    logs,
    records,
    reused,
    room,
    run_rows,
    shared_plans,
    translate,
)
from designer.runs.models import (
    DatasetUsage,
    DatasetVersion,
    Run,
    RunStatus,
    StepRun,
    StepStatus,
)
from designer.runs.priority import fair_priority

# the modules that read a registered dataset: their params naming it and its version
DATASET_READERS = {
    "data.registered_dataset": "name",
    "output.web_service_input": "dataset",  # an endpoint call's input given as a dataset
}

FINAL_RUN = {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED}


def graph_version(graph: Graph, number: int) -> GraphVersion:
    version = graph.versions.filter(number=number).first()
    if version is None:
        raise ApiError(404, "not_found", f"Graph {graph.pk} has no version {number}.")
    return version


def start_run(
    graph: Graph,
    user: Any,
    *,
    version: int | None = None,
    parameters: dict[str, Any] | None = None,
    bypass_cache: bool = False,
    from_node: str | None = None,
    only_node: str | None = None,
    resumed_from: Run | None = None,
    document: dict[str, Any] | None = None,
    node_params: dict[str, dict[str, Any]] | None = None,
    origin: dict[str, Any] | None = None,
) -> Run:
    """Compile and queue a run of a graph version (by default the draft, committed if changed).

    `node_params` replaces some nodes' params for this run only (an endpoint call's inputs);
    `origin` says what started the run when not its user directly (`Run.origin`).
    A graph that cannot run is refused with 400 and the engine's issues, before anything is saved;
    so is every run of a workspace at or over its storage quota (409), and every run while the
    data disk is below its floor (507).
    """
    broker.require("queued")
    room.require_room(graph.workspace_id)
    pinned = graph_version(graph, version) if version is not None else None
    values = parameters or {}
    compiled = None
    if document:  # an edited copy (resume): refused before its version is saved
        plan = plan_for_run(document, values, run_from=from_node, run_only=only_node)
        compiled = (plan, plan.to_dict())
    with transaction.atomic():
        if document is not None and resumed_from is not None:
            pinned = graph_services.commit_document(
                graph.pk,
                user,
                document,
                parent=resumed_from.graph_version,
                message=f"Edited to resume run {resumed_from.pk}",
            )
        elif pinned is None:
            pinned = graph_services.commit_version(
                graph.pk, user, "Saved for a run", only_if_changed=True
            )
        # a version's plan: a graph that cannot run raises 400 here, and the draft's new version
        # (if one was made) is rolled back with the rest of the transaction
        plan, plan_dict = compiled or version_plan(
            pinned, values, from_node, only_node, node_params or {}
        )
        inference.check_frozen(graph.workspace_id, inference.frozen_nodes(plan))
        with_images = pin_plan_images(plan)  # a rebuilt image is a changed environment
        if with_images is not plan:
            plan, plan_dict = with_images, with_images.to_dict()
        run = new_run(
            graph,
            pinned,
            user,
            plan,
            bypass_cache,
            from_node,
            only_node,
            resumed_from,
            plan_dict,
            origin,
        )
        events = fastpath.reused_events(run, plan)
        if events is not None:
            finish_reused_run(run, plan, events)
        else:
            queue_run(run, plan)
            transaction.on_commit(lambda: dispatch.start(run.pk, run.priority))
    return run


PLAN_CACHE_SIZE = 16
_plans: OrderedDict[tuple[Any, ...], tuple[Plan, dict[str, Any], Registry]] = OrderedDict()
_plans_lock = threading.Lock()


def version_plan(
    version: GraphVersion,
    parameters: dict[str, Any],
    run_from: str | None,
    run_only: str | None,
    node_params: dict[str, dict[str, Any]] | None = None,
) -> tuple[Plan, dict[str, Any]]:
    """The compiled plan of a saved version for these parameter values and subset, and its dict.

    A version's document never changes and the module registry is loaded once per process, so
    the plan is a pure function of (version, values, subset, node params, registry): the last
    PLAN_CACHE_SIZE are kept (an unchanged rerun compiles nothing). Plans are immutable; their
    dicts are only read (saved as `Run.plan`). A graph that cannot run raises the 400 of
    `plan_for_run`.
    """

    def document() -> dict[str, Any]:  # read only to compile (a deferred version's query)
        return with_node_params(version.document, node_params) if node_params else version.document

    try:
        values = canonical_json([parameters, node_params or {}])
    except (TypeError, ValueError):  # not plain JSON: compile it, keep nothing
        plan = plan_for_run(document(), parameters, run_from=run_from, run_only=run_only)
        return plan, plan.to_dict()
    registry = module_registry()
    # the row's identity with its creation time, so a database emptied and refilled under a
    # running process (tests) cannot hand out another document's plan for a reused id
    key = (version.pk, version.created_at, values, run_from, run_only, id(registry))
    with _plans_lock:
        hit = _plans.get(key)
        if hit is not None and hit[2] is registry:
            _plans.move_to_end(key)
            return hit[0], hit[1]
    plan = plan_for_run(document(), parameters, run_from=run_from, run_only=run_only)
    compiled = (plan, plan.to_dict(), registry)
    with _plans_lock:
        _plans[key] = compiled
        while len(_plans) > PLAN_CACHE_SIZE:
            _plans.popitem(last=False)
    return plan, compiled[1]


def create_run(
    graph: Graph,
    version: GraphVersion,
    user: Any,
    plan: Plan,
    bypass_cache: bool,
    from_node: str | None,
    only_node: str | None,
) -> Run:
    """Save a queued run with one pending StepRun per plan step and its first event."""
    run = new_run(graph, version, user, plan, bypass_cache, from_node, only_node)
    queue_run(run, plan)
    return run


def new_run(
    graph: Graph,
    version: GraphVersion,
    user: Any,
    plan: Plan,
    bypass_cache: bool,
    from_node: str | None,
    only_node: str | None,
    resumed_from: Run | None = None,
    plan_dict: dict[str, Any] | None = None,
    origin: dict[str, Any] | None = None,
) -> Run:
    """Save the Run row alone (queued, no steps, no event): queue_run or the fast path follows.

    `plan_dict` is `plan.to_dict()` when the caller has it already (read, never changed). The
    plan is saved once per workspace and content and the run points at it (runs/shared_plans.py).
    """
    shared = shared_plans.share(
        graph.workspace_id, plan_dict if plan_dict is not None else plan.to_dict()
    )
    run = Run(
        workspace_id=graph.workspace_id,
        graph_version=version,
        parameters=plan.parameters,
        options={
            "bypass_cache": bypass_cache,
            "from_node": from_node,
            "only_node": only_node,
            "policy": engine_setup.policy_options(),
        },
        shared_plan_id=shared,
        runner=settings.DESIGNER_RUNNER,
        priority=fair_priority(graph.workspace_id) if settings.DESIGNER_RUNNER == "celery" else 0,
        created_by=user,
        resumed_from=resumed_from,
        origin=origin or {},
    )
    return run_rows.insert(run)  # Run.objects.create without compiling its INSERT


def queue_run(run: Run, plan: Plan) -> None:
    """Give a new run one pending StepRun per plan step, its dataset usage and its first event."""
    StepRun.objects.bulk_create(
        StepRun(run=run, key=step.key, module=step.module) for step in plan.steps
    )
    record_dataset_usage(run, plan)
    # the row is new in this transaction, so no one else can hold it: append without a lock
    eventlog.append(run, [("run.status", {"status": RunStatus.QUEUED})])


def finish_reused_run(run: Run, plan: Plan, events: list[Event]) -> None:
    """Save a new run that the fast path finished (every step reused) with its whole event log.

    The messages are those the coordinator would have logged (queued, then the translation of
    the same engine events), saved in the transaction that created the run. The run is stored
    inline (decision 0038): its steps and its log as one RunRecord, read back by runs/records.py
    as the StepRun and RunEvent rows the coordinator would have written; published on commit.
    The log is built in one pass by runs/reused.py (decision 0042); events it does not cover
    (e.g. a cache warning's log lines) go through the generic translation and the protocol check.
    """
    run_fields = ("status", "error", "started_at", "finished_at")
    built = reused.build(run, plan, events)
    if built is None:
        steps = {step.key: records.new_step(run, step.key, step.module) for step in plan.steps}
        messages = [("run.status", {"status": RunStatus.QUEUED})]
        messages += translate.apply_events(run, events, steps=steps)
        run.step_list = list(steps.values())  # what the answer shows, as saved
        record_dataset_usage(run, plan)
        eventlog.store_inline(run, messages, records.step_entries(run.step_list), run_fields)
        return
    run.status, run.started_at, run.finished_at = (
        RunStatus.SUCCEEDED,
        built.started_at,
        built.finished_at,
    )
    run.step_list = built.steps
    record_dataset_usage(run, plan)
    eventlog.store_inline_built(run, built.messages, built.entries, run_fields)


def record_dataset_usage(run: Run, plan: Plan) -> None:
    """Note which dataset version each step that reads a registered dataset will read
    (resolved now)."""
    store = dataset_services.store_for(run.workspace_id)
    for step in plan.steps:
        name_param = DATASET_READERS.get(step.module.rpartition("@")[0])
        name = step.params.get(name_param) if name_param else None
        if not name:  # not a reader, or a web service input passing its connected data through
            continue
        try:
            _, digest = store.read(str(name), step.params.get("version") or None)
        except StepError:
            continue  # the step itself reports the missing dataset when it runs
        version = DatasetVersion.objects.filter(
            dataset__workspace_id=run.workspace_id, dataset__name=name, digest=digest
        ).first()
        if version is not None:
            DatasetUsage.objects.get_or_create(
                run=run, version=version, step=step.key, defaults={"label": step.label}
            )


def record_events(run_id: int, events: list[Event]) -> None:
    """Save a batch of engine events for a run, with their messages, in one transaction."""
    with transaction.atomic():
        run = eventlog.lock_run(run_id)
        if run.status in FINAL_RUN:
            return
        eventlog.append(run, translate.apply_events(run, events))


def mark_running(run_id: int) -> None:
    """Move a queued run to running."""
    with transaction.atomic():
        run = eventlog.lock_run(run_id)
        eventlog.append(run, translate.start_run_state(run))


def finish(run_id: int, status: str, error: str = "") -> bool:
    """Finish a run (unless it already is); steps not yet final become canceled."""
    with transaction.atomic():
        run = eventlog.lock_run(run_id)
        if run.status in FINAL_RUN:
            return False
        eventlog.append(run, translate.finish_run(run, status, error))
    return True


def cancel_run(run: Run) -> Run:
    """Cancel a run: it is marked canceled at once; the runner stops its steps."""
    if run.status in FINAL_RUN:
        raise ApiError(409, "run_finished", f"Run {run.pk} already finished ({run.status}).")
    broker.require("stopped")  # its steps could not be told to stop: change nothing
    finish(run.pk, RunStatus.CANCELED, "Canceled by a user.")
    dispatch.cancel(run.pk)
    run.refresh_from_db()
    return run


def delete_run(run: Run) -> None:
    """Delete a finished run with its steps, events and logs (its artifacts go at the next GC)."""
    if run.status not in FINAL_RUN:
        raise ApiError(
            409, "run_not_finished", f"Run {run.pk} is {run.status}; cancel it before deleting it."
        )
    run_id, workspace_id = run.pk, run.workspace_id
    Run.objects.filter(pk=run_id).delete()
    transaction.on_commit(lambda: logs.remove_run_logs(run_id))
    transaction.on_commit(lambda: room.changed(workspace_id))


def pin_run(run: Run, pinned: bool) -> Run:
    """Keep a run (and its artifacts) whatever the retention setting says, or stop keeping it."""
    Run.objects.filter(pk=run.pk).update(pinned=pinned)
    run.pinned = pinned
    return run


def resume_run(
    run: Run, user: Any, from_node: str | None, params: dict[str, dict[str, Any]]
) -> Run:
    """Edit and resume: re-run from a step (default: the first failed one) with changed params.

    The edited document becomes a new version (child of the run's version); steps upstream of
    `from_node` whose inputs and params are unchanged are reused from the cache.
    """
    document = with_node_params(run.graph_version.document, params)
    if from_node is None:
        failed = next((s for s in run.step_list if s.status == StepStatus.FAILED), None)
        if failed is None:
            raise ApiError(
                400,
                "nothing_to_resume",
                f"Run {run.pk} has no failed step; name the step to resume from in from_node.",
            )
        from_node = failed.key
    graph = run.graph_version.graph
    return start_run(
        graph,
        user,
        parameters=run.parameters,
        from_node=from_node,
        resumed_from=run,
        document=document,
    )
