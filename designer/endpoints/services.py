"""Writes for endpoints: publish, versions, settings, keys, calls and schedules.

The only module that changes endpoint rows. A call (`invoke`) checks every parameter and input
before anything is written, then starts the run through `runs.services.start_run` — the same
compile, cache, fast path and runners as a run from the canvas — and saves the Invocation in
the run's transaction, so a refused call leaves no run and a started one always has its row.

A real-time version is compiled into a scorer before anything is written (400 naming what
cannot be served), deployed as a bundle in the version's transaction, and every change the
scoring processes must know (versions, default, split, enabling, keys) publishes the routing
table once committed (`deployment.publish_routes`). Real-time calls never come here.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from designer.activity.log import changes_of, record
from designer.activity.models import Action, TargetKind
from designer.api_errors import ApiError, problem_count
from designer.endpoints import cron, deployment, interface
from designer.endpoints.keys import new_key
from designer.endpoints.models import (
    Endpoint,
    EndpointKey,
    EndpointKind,
    EndpointVersion,
    Invocation,
    Schedule,
    caller_label,
)
from designer.engine.datasets import DatasetNotFound
from designer.engine.hashing import canonical_json, same_json
from designer.graphs import services as graph_services
from designer.graphs.analysis import validation_issues
from designer.graphs.models import Graph, GraphVersion
from designer.realtime.broadcast import disconnect_endpoint_key
from designer.runs import dataset_services, room
from designer.runs import services as run_services
from designer.runs.inference import build_document_scorer
from designer.runs.models import Dataset, DatasetVersion
from designer.serving.scorer import Scorer
from designer.workspaces.models import Workspace

# wakes the scheduler of this process when a schedule changes (see scheduler.py)
schedules_changed = threading.Event()


@dataclass(frozen=True)
class Caller:
    """Who makes a call: an endpoint key, a signed-in user, or a schedule (exactly one)."""

    key: EndpointKey | None = None
    user: Any = None
    schedule: Schedule | None = None

    @property
    def member(self) -> Any:
        """The signed-in user making the call, or None."""
        return self.user if self.user is not None and self.user.is_authenticated else None


# ---- publishing -------------------------------------------------------------------------------


def _graph_version(graph: Graph, user: Any, number: int | None, message: str) -> GraphVersion:
    if number is None:  # the draft, saved as a version when it changed
        return graph_services.commit_version(graph.pk, user, message, only_if_changed=True)
    version = graph.versions.filter(number=number).first()
    if version is None:
        raise ApiError(404, "not_found", f"Graph {graph.pk} has no version {number}.")
    return version


def _interface(version: GraphVersion) -> dict[str, Any]:
    """The interface of a graph version, or 400 naming what stops it being published."""
    issues = validation_issues(version.document)
    derived, naming = interface.derive(version.document)
    problems = issues + naming
    if problems:
        raise ApiError.naming(
            400,
            "invalid_graph",
            problems,
            f"Version {version.number} of the graph cannot be published "
            f"({problem_count(problems)}): ",
        )
    return derived


NO_INTERFACE: dict[str, Any] = {"parameters": {}, "inputs": [], "outputs": []}


def _compiled(graph: Graph, number: int | None) -> tuple[dict[str, Any], Scorer]:
    """The document a real-time version would pin (the draft, or version `number`) and its
    scorer, compiled before anything is written (400 `not_servable` naming what stops it)."""
    if number is None:
        document = graph.draft
    else:
        version = graph.versions.filter(number=number).first()
        if version is None:
            raise ApiError(404, "not_found", f"Graph {graph.pk} has no version {number}.")
        document = version.document
    return document, build_document_scorer(document, graph.workspace_id)


def _same_as_compiled(pinned: GraphVersion, compiled: dict[str, Any] | None) -> None:
    if compiled is not None and not same_json(pinned.document, compiled):
        raise ApiError(
            409,
            "draft_changed",
            "The draft changed while it was being compiled; deploy it again.",
        )


def publish(
    workspace: Workspace,
    user: Any,
    *,
    graph: Graph,
    name: str,
    kind: str = EndpointKind.PIPELINE,
    description: str = "",
    graph_version: int | None = None,
    message: str = "",
    extra_columns: str = "ignore",
) -> Endpoint:
    """Publish a graph version as a new endpoint of the workspace, with it as version 1.

    A real-time endpoint's version is an inference graph compiled into a scorer and deployed.
    """
    if graph.workspace_id != workspace.pk:
        raise ApiError(404, "not_found", f"Graph {graph.pk} not found.")
    if kind == EndpointKind.PIPELINE and extra_columns != "ignore":
        raise ApiError(
            400,
            "invalid",
            "extra_columns: only real-time endpoints take rows.",
            [{"field": "extra_columns", "code": "invalid", "message": "real-time endpoints only"}],
        )
    compiled, scorer = (
        _compiled(graph, graph_version) if kind == EndpointKind.REALTIME else (None, None)
    )
    with transaction.atomic():
        if Endpoint.objects.filter(workspace=workspace, name=name).exists():
            raise ApiError(
                409, "name_taken", f"The workspace already has an endpoint named {name!r}."
            )
        pinned = _graph_version(graph, user, graph_version, f"Published as endpoint {name}")
        _same_as_compiled(pinned, compiled)
        endpoint = Endpoint.objects.create(
            workspace=workspace,
            graph=graph,
            kind=kind,
            name=name,
            description=description,
            extra_columns=extra_columns,
            created_by=user,
        )
        version = _add_version(endpoint, user, pinned, message, True, scorer)
        record(
            workspace.pk,
            user,
            Action.ENDPOINT_PUBLISHED,
            TargetKind.ENDPOINT,
            endpoint.pk,
            name,
            endpoint_kind=kind,
            graph=graph.pk,
            graph_name=graph.name,
            graph_version=pinned.number,
            version=version.number,
        )
    return endpoint


def publish_version(
    endpoint: Endpoint,
    user: Any,
    *,
    graph_version: int | None = None,
    message: str = "",
    make_default: bool = True,
) -> EndpointVersion:
    """Publish another version of the endpoint's graph as the endpoint's next version."""
    compiled, scorer = (
        _compiled(endpoint.graph, graph_version)
        if endpoint.kind == EndpointKind.REALTIME
        else (None, None)
    )
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        pinned = _graph_version(
            endpoint.graph, user, graph_version, f"Published as endpoint {endpoint.name}"
        )
        _same_as_compiled(pinned, compiled)
        version = _add_version(endpoint, user, pinned, message, make_default, scorer)
        record(
            endpoint.workspace_id,
            user,
            Action.ENDPOINT_VERSION_PUBLISHED,
            TargetKind.ENDPOINT,
            endpoint.pk,
            endpoint.name,
            version=version.number,
            graph_version=pinned.number,
            default=make_default,
        )
    return version


def _add_version(
    endpoint: Endpoint,
    user: Any,
    pinned: GraphVersion,
    message: str,
    make_default: bool,
    scorer: Scorer | None = None,
) -> EndpointVersion:
    number = (endpoint.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = EndpointVersion.objects.create(
        endpoint=endpoint,
        number=number,
        graph_version=pinned,
        interface=NO_INTERFACE if scorer is not None else _interface(pinned),
        scoring=None if scorer is None else scorer.info(),
        message=message,
        created_by=user,
    )
    if make_default:
        endpoint.default_version = version
        fields = ["default_version"]
        if endpoint.split_version_id is not None:  # a new default ends a rollout
            endpoint.split_version, endpoint.split_percent = None, 0
            fields += ["split_version", "split_percent"]
        endpoint.save(update_fields=fields)
    if scorer is not None:
        deployment.deploy(version, scorer)
        transaction.on_commit(deployment.publish_routes)
    return version


def _numbered(endpoint: Endpoint, changes: dict[str, Any], field: str) -> dict[str, Any]:
    """`changes` with the version number in `field` replaced by that version (400 if none)."""
    number = changes.get(field)
    if number is None:
        return changes
    version = endpoint.versions.filter(number=number).first()
    if version is None:
        raise ApiError(
            400,
            "invalid",
            f"{field}: endpoint {endpoint.name} has no version {number}.",
            [{"field": field, "code": "not_found", "message": "no such version"}],
        )
    return {**changes, field: version}


REALTIME_ONLY = ("split", "extra_columns", "capture_errors")
PIPELINE_ONLY = ("key_datasets",)


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(
        400,
        "invalid",
        f"{field}: {message}",
        [{"field": field, "code": "invalid", "message": message}],
    )


def _settings(endpoint: Endpoint) -> dict[str, Any]:
    """What the activity log compares of an endpoint before and after a change (decision 0075)."""
    default, split = endpoint.default_version, endpoint.split_version
    return {
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "default_version": default.number if default is not None else None,
        "split": None
        if split is None
        else {"version": split.number, "percent": endpoint.split_percent},
        "extra_columns": endpoint.extra_columns,
        "capture_errors": endpoint.capture_errors,
        "key_datasets": endpoint.key_datasets,
    }


def _key_datasets(endpoint: Endpoint, names: list[str]) -> list[str]:
    """The datasets granted to keys, sorted once each; 400 naming every one the workspace lacks."""
    wanted = sorted(set(names))
    known = set(
        Dataset.objects.filter(workspace_id=endpoint.workspace_id, name__in=wanted).values_list(
            "name", flat=True
        )
    )
    unknown = [name for name in wanted if name not in known]
    if unknown:
        problems = [
            {
                "field": "key_datasets",
                "code": "not_found",
                "message": f"there is no dataset named {name!r}",
            }
            for name in unknown
        ]
        raise ApiError.naming(400, "invalid", problems, "key_datasets: ")
    return wanted


@transaction.atomic
def update_endpoint(endpoint: Endpoint, actor: Any, **changes: Any) -> Endpoint:
    """Change an endpoint: description, enabled flag, default version (a version number); for
    a real-time endpoint also the split ({version, percent} or None), extra_columns and
    capture_errors; for a pipeline endpoint the datasets calls by key may name (key_datasets).
    Making the split's version the default ends the split (a promotion)."""
    realtime = endpoint.kind == EndpointKind.REALTIME
    for field in REALTIME_ONLY:
        if field in changes and not realtime:
            raise _invalid(field, "only real-time endpoints have it")
    for field in PIPELINE_ONLY:
        if field in changes and realtime:
            raise _invalid(field, "only pipeline endpoints have it")
    if "key_datasets" in changes:
        changes["key_datasets"] = _key_datasets(endpoint, changes["key_datasets"])
    changes = _numbered(endpoint, changes, "default_version")
    if "split" in changes:
        split = changes.pop("split")
        if split is None:
            changes.update(split_version=None, split_percent=0)
        else:
            version = endpoint.versions.filter(number=split["version"]).first()
            if version is None:
                raise _invalid("split.version", f"endpoint {endpoint.name} has no such version")
            changes.update(split_version=version, split_percent=split["percent"])
    elif endpoint.split_version is not None and changes.get("default_version") == (
        endpoint.split_version
    ):
        changes.update(split_version=None, split_percent=0)  # the split's version promoted
    default = changes.get("default_version", endpoint.default_version)
    split_version = changes.get("split_version", endpoint.split_version)
    if split_version is not None and split_version == default:
        raise _invalid("split.version", "the split goes to a version other than the default")
    before = _settings(endpoint)
    for field, value in changes.items():
        setattr(endpoint, field, value)
    endpoint.save(update_fields=list(changes))
    changed = changes_of(before, _settings(endpoint))
    if "description" in changed:
        changed["description"] = {}  # that it changed: the text is on the endpoint's page
    if changed:
        record(
            endpoint.workspace_id,
            actor,
            Action.ENDPOINT_CHANGED,
            TargetKind.ENDPOINT,
            endpoint.pk,
            endpoint.name,
            changes=changed,
        )
    if realtime:
        transaction.on_commit(deployment.publish_routes)
    return endpoint


def delete_endpoint(endpoint: Endpoint, actor: Any) -> None:
    """Delete an endpoint with its versions, keys, schedules and call history (runs stay); a
    real-time endpoint stops answering (its bundles go with the next gc_artifacts)."""
    realtime = endpoint.kind == EndpointKind.REALTIME
    with transaction.atomic():
        record(
            endpoint.workspace_id,
            actor,
            Action.ENDPOINT_DELETED,
            TargetKind.ENDPOINT,
            endpoint.pk,
            endpoint.name,
            endpoint_kind=endpoint.kind,
        )
        endpoint.delete()
        if realtime:
            transaction.on_commit(deployment.publish_routes)
    schedules_changed.set()


# ---- keys -------------------------------------------------------------------------------------


def _key_entry(key: EndpointKey, actor: Any, action: Action) -> None:
    """A key's activity entry: its name, what it calls and its rate (never the key itself)."""
    endpoint = key.endpoint
    record(
        key.workspace_id,
        actor,
        action,
        TargetKind.KEY,
        key.pk,
        key.name,
        endpoint=endpoint.pk if endpoint is not None else None,
        endpoint_name=endpoint.name if endpoint is not None else None,
        rate_per_minute=key.rate_per_minute,
    )


@transaction.atomic
def create_key(
    workspace: Workspace, user: Any, name: str, endpoint: Endpoint | None, rate_per_minute: int
) -> tuple[EndpointKey, str]:
    """Create a key for one endpoint (or all of the workspace's); returns the row and raw key."""
    raw, prefix, digest = new_key()
    key = EndpointKey.objects.create(
        workspace=workspace,
        endpoint=endpoint,
        name=name,
        prefix=prefix,
        key_hash=digest,
        rate_per_minute=rate_per_minute,
        created_by=user,
    )
    _key_entry(key, user, Action.KEY_CREATED)
    transaction.on_commit(deployment.publish_routes)
    return key, raw


@transaction.atomic
def revoke_key(key: EndpointKey, actor: Any) -> None:
    """Revoke a key: it stops authenticating at once, and its sockets are closed."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        _key_entry(key, actor, Action.KEY_REVOKED)
        disconnect_endpoint_key(key.pk)
        transaction.on_commit(deployment.publish_routes)


# ---- calls ------------------------------------------------------------------------------------


def version_for_call(endpoint: Endpoint, number: int | None) -> EndpointVersion:
    """Version `number` of the endpoint, or its default version (404 when there is none)."""
    if number is None:
        version = endpoint.default_version
    else:
        version = endpoint.versions.filter(number=number).first()
    if version is None:
        which = f"version {number}" if number is not None else "default version"
        raise ApiError(404, "not_found", f"Endpoint {endpoint.name} has no {which}.")
    return version


def _file_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def request_digest(
    version: int | None, parameters: Any, datasets: Any, files: dict[str, UploadedFile]
) -> str:
    """What a call asked for, so a retry with the same Idempotency-Key can be told apart."""
    asked = {
        "version": version,
        "parameters": parameters,
        "inputs": datasets,
        "files": {name: _file_digest(upload) for name, upload in sorted(files.items())},
    }
    return hashlib.sha256(canonical_json(asked).encode()).hexdigest()


def _previous_call(endpoint: Endpoint, caller: Caller, idempotency_key: str) -> Invocation | None:
    if not idempotency_key or caller.schedule is not None:
        return None
    calls = Invocation.objects.filter(endpoint=endpoint, idempotency_key=idempotency_key)
    if caller.key is not None:
        return calls.filter(key=caller.key).first()
    return calls.filter(user=caller.user).first()


def _replay(previous: Invocation, digest: str, idempotency_key: str) -> Invocation:
    if previous.request_digest != digest:
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"Idempotency-Key {idempotency_key!r} was used for a different call "
            f"(invocation {previous.pk}); use a new key for a new call.",
        )
    return previous


def call_origin(endpoint: Endpoint, caller: Caller) -> dict[str, Any]:
    """What a call's run and the dataset versions it sends keep of it (decision 0053)."""
    schedule = caller.schedule.pk if caller.schedule else None
    return {
        "endpoint": endpoint.pk,
        "endpoint_name": endpoint.name,
        "caller": caller_label(caller.key, schedule, caller.member),
    }


def readable_by(caller: Caller, endpoint: Endpoint, name: str) -> Callable[[str], bool] | None:
    """Which versions of dataset `name` a caller of `endpoint` may name as an input (None: every
    version).

    A member or a schedule reads the workspace's datasets. A key reads the datasets the endpoint
    grants keys (`key_datasets`, decision 0093) except the files other callers sent (versions a
    call sent, as `endpoint.<endpoint>.<input>`), and the files its own calls sent: a key reads
    only the calls it made.
    """
    if caller.key is None:
        return None
    sent = dict(
        DatasetVersion.objects.filter(
            dataset__workspace_id=endpoint.workspace_id, dataset__name=name
        )
        .exclude(origin={})
        .values_list("digest", "origin")
    )
    granted = name in endpoint.key_datasets
    if not sent:
        return lambda digest: granted
    endpoints = {origin.get("endpoint") for origin in sent.values()}
    calls = Invocation.objects.filter(key=caller.key, endpoint_id__in=endpoints)
    own = {
        given.get("version")
        for inputs in calls.exclude(inputs={}).values_list("inputs", flat=True)
        for given in (inputs or {}).values()
        if given.get("source") == "file" and given.get("dataset") == name
    }
    return lambda digest: digest in own or (granted and digest not in sent)


def _resolve_inputs(
    endpoint: Endpoint,
    caller: Caller,
    datasets: dict[str, Any],
    files: dict[str, UploadedFile],
) -> dict[str, dict[str, str]]:
    """Each given input as {dataset, version digest, source}; files become dataset versions."""
    with tempfile.TemporaryDirectory() as folder:
        return _resolve_inputs_in(Path(folder), endpoint, caller, datasets, files)


def _resolve_inputs_in(
    folder: Path,
    endpoint: Endpoint,
    caller: Caller,
    datasets: dict[str, Any],
    files: dict[str, UploadedFile],
) -> dict[str, dict[str, str]]:
    """_resolve_inputs with the files converted into `folder` (all checked before any is kept)."""
    tables = {}
    for name, upload in files.items():
        try:
            tables[name], _ = dataset_services.read_upload(upload, folder)
        except ApiError as exc:
            raise ApiError(
                exc.status_code,
                exc.default_code,
                f"input {name!r}: {exc.detail['detail']}",
                [
                    {
                        "field": f"inputs.{name}",
                        "code": exc.default_code,
                        "message": exc.detail["detail"],
                    }
                ],
            ) from exc
    resolved: dict[str, dict[str, str]] = {}
    store = dataset_services.store_for(endpoint.workspace_id)
    problems = []
    for name, ref in sorted(datasets.items()):
        try:
            readable = readable_by(caller, endpoint, ref["dataset"])
            _, digest = store.read(ref["dataset"], ref.get("version"), readable=readable)
        except DatasetNotFound as exc:
            problems.append(
                {
                    "field": f"inputs.{name}.dataset",
                    "code": "not_found",
                    "message": f"input {name!r}: {exc}",
                }
            )
            continue
        resolved[name] = {"dataset": ref["dataset"], "version": digest, "source": "dataset"}
    if problems:
        raise ApiError.naming(400, "invalid_call", problems)
    for name, table in tables.items():
        dataset = f"endpoint.{endpoint.name}.{name}"
        stored = dataset_services.add_version(
            endpoint.workspace,
            caller.member,
            dataset,
            table,
            files[name].name or "",
            f"Sent to endpoint {endpoint.name}",
            origin=call_origin(endpoint, caller),
        )
        resolved[name] = {"dataset": dataset, "version": stored.digest, "source": "file"}
    return resolved


def invoke(
    endpoint: Endpoint,
    caller: Caller,
    *,
    version: int | None = None,
    parameters: Any = None,
    datasets: Any = None,
    files: dict[str, UploadedFile] | None = None,
    idempotency_key: str = "",
) -> tuple[Invocation, bool]:
    """Call an endpoint: (the invocation, whether it is the replay of an earlier call).

    Refusals, before anything is written: 409 `endpoint_disabled`; 404 for an unknown version;
    400 `invalid_call` naming every wrong, unknown or missing parameter and input; 422
    `idempotency_key_reused` when the key was used for a different call.
    """
    parameters = {} if parameters is None else parameters
    datasets = {} if datasets is None else datasets
    files = files or {}
    _refuse_realtime(endpoint)
    if not endpoint.enabled:
        raise ApiError(
            409,
            "endpoint_disabled",
            f"Endpoint {endpoint.name} is disabled; an editor can enable it on its page.",
        )
    pinned = version_for_call(endpoint, version)
    issues = interface.check_parameters(pinned.interface, parameters)
    sent = None if caller.schedule is not None else set(files)  # a schedule sends no file
    issues += interface.check_inputs(pinned.interface, datasets, sent)
    if issues:
        raise ApiError.naming(
            400,
            "invalid_call",
            issues,
            f"The call has {len(issues)} problem{'s' if len(issues) > 1 else ''}: ",
        )
    digest = request_digest(version, parameters, datasets, files)
    previous = _previous_call(endpoint, caller, idempotency_key)
    if previous is not None:
        return _replay(previous, digest, idempotency_key), True
    room.require_room(endpoint.workspace_id, sum(f.size or 0 for f in files.values()))
    inputs = _resolve_inputs(endpoint, caller, datasets, files)
    nodes = {entry["name"]: entry["node"] for entry in pinned.interface["inputs"]}
    node_params = {
        nodes[name]: {"dataset": given["dataset"], "version": given["version"]}
        for name, given in inputs.items()
    }
    user = caller.member
    try:
        with transaction.atomic():
            run = run_services.start_run(
                endpoint.graph,
                user,
                version=pinned.graph_version.number,
                parameters=parameters,
                node_params=node_params,
                origin=call_origin(endpoint, caller),
            )
            call = Invocation.objects.create(
                endpoint=endpoint,
                version=pinned,
                run=run,
                key=caller.key,
                user=user,
                schedule=caller.schedule,
                idempotency_key=idempotency_key,
                request_digest=digest,
                inputs=inputs,
                created_at=run.created_at,  # before a run finished in this request ended
            )
    except IntegrityError:  # the same Idempotency-Key raced us and won
        previous = _previous_call(endpoint, caller, idempotency_key)
        if previous is None:
            raise
        return _replay(previous, digest, idempotency_key), True
    return call, False


# ---- schedules --------------------------------------------------------------------------------


def _refuse_realtime(endpoint: Endpoint) -> None:
    """409: a real-time endpoint is called on the scoring service, never through a run."""
    if endpoint.kind == EndpointKind.REALTIME:
        raise ApiError(
            409,
            "realtime_endpoint",
            f"Endpoint {endpoint.name} is a real-time endpoint: POST its rows to "
            f"{deployment.score_url(None, endpoint.pk)} on the scoring service "
            "(its page and OpenAPI document give the full URL).",
        )


def _check_schedule(endpoint: Endpoint, fields: dict[str, Any], current: Schedule | None) -> None:
    """400 naming every problem of a schedule's cron, zone, parameters and inputs."""
    _refuse_realtime(endpoint)
    merged = {
        "cron": current.cron if current else "",
        "timezone": current.timezone if current else "UTC",
        "version": current.version if current else None,
        "parameters": current.parameters if current else {},
        "inputs": current.inputs if current else {},
        **fields,
    }
    issues = []
    if (problem := cron.cron_problem(merged["cron"])) is not None:
        issues.append({"field": "cron", "code": "invalid", "message": problem})
    if (problem := cron.zone_problem(merged["timezone"])) is not None:
        issues.append({"field": "timezone", "code": "invalid", "message": problem})
    version = merged["version"] or endpoint.default_version
    if version is not None:
        issues += interface.check_parameters(version.interface, merged["parameters"])
        issues += interface.check_inputs(version.interface, merged["inputs"], None)
    if issues:
        raise ApiError.naming(400, "invalid", issues)


def next_fire(schedule: Schedule, after: datetime) -> datetime:
    """The schedule's first fire time after `after`."""
    return next(cron.fire_times(schedule.cron, schedule.timezone, after))


def _schedule_fields(schedule: Schedule) -> dict[str, Any]:
    """What the activity log keeps of a schedule: its timing, version and whether it is on."""
    version = schedule.version
    return {
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "version": version.number if version is not None else None,
        "missed": schedule.missed,
        "enabled": schedule.enabled,
    }


def _schedule_entry(schedule: Schedule, actor: Any, action: Action, **details: Any) -> None:
    endpoint = schedule.endpoint
    record(
        endpoint.workspace_id,
        actor,
        action,
        TargetKind.SCHEDULE,
        schedule.pk,
        f"{schedule.cron} ({schedule.timezone})",
        endpoint=endpoint.pk,
        endpoint_name=endpoint.name,
        **details,
    )


@transaction.atomic
def create_schedule(
    endpoint: Endpoint, user: Any, *, now: datetime | None = None, **fields: Any
) -> Schedule:
    """Add a schedule to an endpoint; it first fires at its next fire time after `now`.

    `version` is a version number (None: the default version at each fire).
    """
    fields = _numbered(endpoint, fields, "version")
    _check_schedule(endpoint, fields, None)
    schedule = Schedule(endpoint=endpoint, created_by=user, **fields)
    schedule.next_fire_at = next_fire(schedule, now or timezone.now())
    schedule.save()
    _schedule_entry(schedule, user, Action.SCHEDULE_CREATED, **_schedule_fields(schedule))
    transaction.on_commit(schedules_changed.set)
    return schedule


@transaction.atomic
def update_schedule(schedule: Schedule, actor: Any, **fields: Any) -> Schedule:
    """Change a schedule; a new cron, zone or re-enabling starts from the next fire time.

    Its activity entry gives timing, version and enabled flag from → to, and names a change of
    parameters or inputs without their values."""
    fields = _numbered(schedule.endpoint, fields, "version")
    _check_schedule(schedule.endpoint, fields, schedule)
    before, given = _schedule_fields(schedule), (schedule.parameters, schedule.inputs)
    for field, value in fields.items():
        setattr(schedule, field, value)
    if {"cron", "timezone", "enabled"} & set(fields):
        schedule.next_fire_at = next_fire(schedule, timezone.now())
    schedule.save()
    changed = changes_of(before, _schedule_fields(schedule))
    for field, old in zip(("parameters", "inputs"), given, strict=True):
        if getattr(schedule, field) != old:
            changed[field] = {}  # that they changed, not their values
    if changed:
        _schedule_entry(schedule, actor, Action.SCHEDULE_CHANGED, changes=changed)
    transaction.on_commit(schedules_changed.set)
    return schedule


@transaction.atomic
def delete_schedule(schedule: Schedule, actor: Any) -> None:
    """Delete a schedule (its past calls stay in the history)."""
    _schedule_entry(schedule, actor, Action.SCHEDULE_DELETED)
    schedule.delete()
