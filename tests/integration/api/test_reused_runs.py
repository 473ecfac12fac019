"""A run whose every step is reused is finished inside its POST (decision 0003, "fast path").

Through the real HTTP API on the embedded local runner: the finished run's saved event log is
the one the coordinator writes for the same rerun (stored inline, decision 0038: one RunRecord
rather than StepRun and RunEvent rows, read back as the rows would be), its events are
published once the transaction has committed, and every run that needs a worker (a changed
step, a bypassed cache, run from / run only) or is started in Celery mode is handed over
exactly as before.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from designer.engine import machine
from designer.realtime.protocol import validate_event_data
from designer.runs import dispatch, distributed, eventlog, fastpath, records, reused
from designer.runs.models import Run, RunEvent, RunRecord, SharedPlan, StepRun
from tests.integration.api.conftest import Team
from tests.integration.api.test_runs import chain_document, make_graph, steps, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
STEP_COLUMNS = ("key", "module", "status", "attempts", "reason", "fingerprint", "outputs")
STEP_COLUMNS += ("error", "log_tail", "progress", "started_at")


@dataclass
class Spy:
    """Records the runs handed to the coordinator or Celery and the events published."""

    dispatched: list[int] = field(default_factory=list)
    queued_on_celery: list[int] = field(default_factory=list)
    executed: list[int] = field(default_factory=list)
    published: list[dict[str, Any]] = field(default_factory=list)
    committed_when_published: dict[int, int] = field(default_factory=dict)
    in_transaction_when_published: list[bool] = field(default_factory=list)
    built_in_one_pass: list[bool] = field(default_factory=list)  # runs/reused.py, else generic


def _count_committed(run_id: int) -> int:
    """Count a run's saved events through a connection of another thread (committed only)."""
    counted: list[int] = []

    def count() -> None:
        try:
            counted.append(len(records.events_after(run_id, 0)))
        finally:
            connections.close_all()

    thread = threading.Thread(target=count)
    thread.start()
    thread.join()
    return counted[0]


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    """Wrap the hand-over to the coordinator/Celery, the fast path's execute, and the publisher."""
    seen = Spy()
    start = dispatch.start
    execute, publish, build = fastpath.execute, eventlog.publish_run_events, reused.build

    def spying_start(run_id: int, priority: int = 0) -> None:
        seen.dispatched.append(run_id)
        start(run_id, priority)

    def spying_execute(plan: Any, **kwargs: Any) -> Any:
        seen.executed.append(int(kwargs["run_id"]))
        return execute(plan, **kwargs)

    def spying_publish(workspace: int, envelopes: list[dict[str, Any]]) -> None:
        seen.in_transaction_when_published.append(connection.in_atomic_block)
        for envelope in envelopes:
            if envelope["type"] == "run.finished":
                run_id = envelope["run_id"]
                seen.committed_when_published[run_id] = _count_committed(run_id)
        seen.published.extend(envelopes)
        publish(workspace, envelopes)

    def spying_build(run: Run, plan: Any, events: list[Any]) -> Any:
        built = build(run, plan, events)
        seen.built_in_one_pass.append(built is not None)
        return built

    monkeypatch.setattr(dispatch, "start", spying_start)
    monkeypatch.setattr(reused, "build", spying_build)
    monkeypatch.setattr(
        distributed, "advance_later", lambda run_id, **_: seen.queued_on_celery.append(run_id)
    )
    monkeypatch.setattr(fastpath, "execute", spying_execute)
    monkeypatch.setattr(eventlog, "publish_run_events", spying_publish)
    yield seen


def post_run(client: APIClient, graph: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post(f"/api/graphs/{graph}/runs/", body or {}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def event_log(run_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of a run's saved events in seq order (rows or inline), seqs 1..n."""
    events = records.events_after(run_id, 0)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["run_id"] == run_id for e in events)
    return [(e["type"], e["data"]) for e in events]


def without_duration(log: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """The log with run.finished's duration blanked (it is a measured time)."""
    return [
        (kind, {**data, "duration": None} if kind == "run.finished" else data) for kind, data in log
    ]


def step_rows(run_id: int) -> list[dict[str, Any]]:
    """A run's saved steps in order (rows or inline), the columns the coordinator writes."""
    steps = Run.objects.get(pk=run_id).step_list
    return [{column: getattr(step, column) for column in STEP_COLUMNS} for step in steps]


def row_counts(run_id: int) -> tuple[int, int]:
    """How many StepRun and RunEvent rows a run has."""
    return StepRun.objects.filter(run_id=run_id).count(), RunEvent.objects.filter(
        run_id=run_id
    ).count()


def cached_graph(client: APIClient, team: Team, nodes: int = 5) -> int:
    """A chain graph that has run once (so every step of it is in the cache)."""
    graph = make_graph(client, team.workspace.pk, chain_document(nodes))
    first = wait_for(client, post_run(client, graph)["id"])
    assert first["status"] == "succeeded", first
    return graph


def test_an_all_reused_run_is_finished_in_its_post_with_the_coordinators_event_log(
    team_tx: Team, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx)

    # The same rerun through the coordinator, as before the fast path: the reference.
    with monkeypatch.context() as patched:
        patched.setattr(fastpath, "reused_events", lambda run, plan: None)
        reference = wait_for(editor, post_run(editor, graph)["id"])
    assert reference["id"] in spy.dispatched
    assert {s["status"] for s in reference["steps"]} == {"reused"}

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"workspace.{team_tx.workspace.pk}", channel)
    spy.published.clear()

    answer = post_run(editor, graph)
    run_id = answer["id"]
    # Finished in the request: the 201 answer already shows the final state.
    assert answer["status"] == "succeeded" and answer["runner"] == "local"
    assert answer["started_at"] and answer["finished_at"]
    assert [(s["key"], s["status"]) for s in answer["steps"]] == [
        (f"s{i}", "reused") for i in range(1, 6)
    ]
    assert run_id in spy.executed and run_id not in spy.dispatched
    assert spy.built_in_one_pass == [True]  # runs/reused.py, without the per-message check
    assert answer == editor.get(f"/api/runs/{run_id}/").json()

    # The same saved event log as the coordinator's, message for message, each one what the
    # protocol accepts and leaves as it is.
    log = event_log(run_id)
    assert without_duration(log) == without_duration(event_log(reference["id"]))
    assert all(validate_event_data(kind, data) == data for kind, data in log)
    assert [kind for kind, _ in log] == [
        "run.status",
        "run.status",
        *["step.output", "step.status"] * 5,
        "run.status",
        "run.finished",
    ]
    assert [data["status"] for kind, data in log if kind == "run.status"] == [
        "queued",
        "running",
        "succeeded",
    ]
    reasons = [data["reason"] for kind, data in log if kind == "step.status"]
    assert all(r.startswith("reused: key ") for r in reasons)
    assert reasons == [s["reason"] for s in answer["steps"]]
    assert log[-1][1]["counts"]["reused"] == 5 and log[-1][1]["duration"] >= 0
    assert answer["seq"] == len(log)

    # The same steps and the run's own state, from one record instead of rows.
    assert step_rows(run_id) == step_rows(reference["id"])
    assert row_counts(reference["id"]) == (5, len(log)) and row_counts(run_id) == (0, 0)
    assert all(s["finished_at"] and s["started_at"] is None for s in answer["steps"])
    run = Run.objects.get(pk=run_id)
    assert (run.status, run.error, run.seq) == ("succeeded", "", len(log))
    assert run.created_at <= run.started_at <= run.finished_at

    # Published once, in seq order, after the commit (every event visible to another
    # connection): the run-level events; no socket could watch the run's step events before the
    # commit, and one opened after it reads them in its snapshot (the realtime suite's
    # test_an_unchanged_rerun_reads_the_same_over_the_socket).
    mine = [e for e in spy.published if e["run_id"] == run_id]
    assert mine == [
        {"type": kind, "run_id": run_id, "seq": seq, "data": data}
        for seq, (kind, data) in enumerate(log, start=1)
        if kind in ("run.status", "run.finished")
    ]
    assert spy.committed_when_published[run_id] == len(log)
    assert not any(spy.in_transaction_when_published)
    received: list[dict[str, Any]] = []
    while len(received) < 4:  # each publish's events for the group, as one message
        batch = async_to_sync(layer.receive)(channel)
        assert batch["type"] == "protocol.messages"
        # the reference run's coordinator may publish its last events after its end was read
        received += [m for m in batch["messages"] if m["run_id"] == run_id]
    assert [(m["type"], m["run_id"], m["data"]["status"]) for m in received] == [
        ("run.status", run_id, "queued"),
        ("run.status", run_id, "running"),
        ("run.status", run_id, "succeeded"),
        ("run.finished", run_id, "succeeded"),
    ]


def test_a_rerun_whose_cache_warns_is_finished_in_its_post_through_the_checked_path(
    team_tx: Team, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reuse the cache cannot note adds a warning to the step's log: an event the one pass
    does not cover, so the run is translated and checked message by message, as before."""
    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx, nodes=3)

    def read_only_index(*args: Any, **kwargs: Any) -> None:
        raise OSError("the cache index is read-only")

    monkeypatch.setattr(machine, "record_reuse", read_only_index)
    with monkeypatch.context() as patched:
        patched.setattr(fastpath, "reused_events", lambda run, plan: None)
        reference = wait_for(editor, post_run(editor, graph)["id"])
    answer = post_run(editor, graph)
    assert answer["status"] == "succeeded" and answer["id"] not in spy.dispatched
    assert spy.built_in_one_pass == [False]
    log = event_log(answer["id"])
    assert without_duration(log) == without_duration(event_log(reference["id"]))
    warnings = [data for kind, data in log if kind == "step.log"]
    assert len(warnings) == 3 and all("could not record" in w["lines"][0] for w in warnings)
    assert step_rows(answer["id"]) == step_rows(reference["id"])
    assert [e for e in spy.published if e["run_id"] == answer["id"]] == [
        {"type": kind, "run_id": answer["id"], "seq": seq, "data": data}
        for seq, (kind, data) in enumerate(log, start=1)
        if kind in ("run.status", "run.finished")
    ]


def test_a_partly_cached_run_goes_through_the_coordinator(team_tx: Team, spy: Spy) -> None:
    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx)
    draft = editor.get(f"/api/graphs/{graph}/")
    document = draft.json()["draft"]
    document["nodes"][3]["params"]["pattern"] = f"^{uuid.uuid4().hex}$"  # s4 must run
    saved = editor.put(
        f"/api/graphs/{graph}/draft/", document, format="json", HTTP_IF_MATCH=draft["ETag"]
    )
    assert saved.status_code == 200

    answer = post_run(editor, graph)
    run_id = answer["id"]
    assert run_id in spy.executed  # it was tried in the request, and handed over on the miss
    assert spy.dispatched.count(run_id) == 1
    assert answer["status"] not in ("succeeded", "failed", "canceled")
    done = wait_for(editor, run_id)
    assert done["status"] == "succeeded", done
    assert [steps(done)[f"s{i}"]["status"] for i in range(1, 6)] == [
        "reused",
        "reused",
        "reused",
        "succeeded",
        "reused",  # s4's output has the same bytes as before: s5 is reused (early cutoff)
    ]
    assert "param `pattern` changed" in steps(done)["s4"]["reason"]
    # Nothing of the abandoned attempt was saved: one status per step in a gapless log.
    log = event_log(run_id)
    assert log[0] == ("run.status", {"status": "queued"})
    assert log[1] == ("run.status", {"status": "running"})
    statuses = [(d["step"], d["status"]) for kind, d in log if kind == "step.status"]
    assert statuses == [
        ("s1", "reused"),
        ("s2", "reused"),
        ("s3", "reused"),
        ("s4", "running"),
        ("s4", "succeeded"),
        ("s5", "reused"),
    ]
    assert [kind for kind, _ in log[-2:]] == ["run.status", "run.finished"]
    deadline = time.monotonic() + 10  # the writer thread publishes right after its commit
    while run_id not in spy.committed_when_published:
        assert time.monotonic() < deadline, "run.finished was not published"
        time.sleep(0.01)
    assert spy.committed_when_published[run_id] == len(log)


@pytest.mark.parametrize(
    "body",
    [{"bypass_cache": True}, {"from_node": "s2"}, {"only_node": "s3"}],
    ids=["bypass_cache", "from_node", "only_node"],
)
def test_runs_that_must_run_a_step_are_not_tried_in_the_request(
    team_tx: Team, spy: Spy, body: dict[str, Any]
) -> None:
    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx, nodes=3)
    run_id = post_run(editor, graph, body)["id"]
    assert run_id not in spy.executed and spy.dispatched.count(run_id) == 1
    done = wait_for(editor, run_id)
    assert done["status"] == "succeeded", done
    assert any(s["status"] == "succeeded" for s in done["steps"])


def test_celery_mode_is_unaffected(team_tx: Team, spy: Spy, settings: Any) -> None:
    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx, nodes=3)  # on the local runner: everything cached
    settings.DESIGNER_RUNNER = "celery"
    answer = post_run(editor, graph)
    run_id = answer["id"]
    assert (answer["runner"], answer["status"]) == ("celery", "queued")
    assert {s["status"] for s in answer["steps"]} == {"pending"}
    assert run_id not in spy.executed and spy.dispatched[-1] == run_id
    assert spy.queued_on_celery == [run_id]  # handed to advance_run on the broker, as before
    assert event_log(run_id) == [("run.status", {"status": "queued"})]


def test_a_failure_while_deciding_in_the_request_hands_the_run_over(
    team_tx: Team, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx, nodes=3)

    def broken(plan: Any, **kwargs: Any) -> Any:
        spy.executed.append(int(kwargs["run_id"]))
        raise OSError("the cache index is unreadable")

    monkeypatch.setattr(fastpath, "execute", broken)
    run_id = post_run(editor, graph)["id"]
    assert run_id in spy.executed and spy.dispatched.count(run_id) == 1
    done = wait_for(editor, run_id)
    assert {s["status"] for s in done["steps"]} == {"reused"}


def test_the_step_representation_equals_the_generic_serializers(team_tx: Team) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.serializers import ModelSerializer

    from designer.runs.serializers import StepSerializer

    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx, nodes=3)
    inline = Run.objects.get(pk=post_run(editor, graph)["id"]).step_list  # read from its record
    now = timezone.now()
    StepRun.objects.filter(key="s2").update(
        started_at=now - timedelta(seconds=1.5), progress={"value": 1.0, "max": 4.0}
    )
    StepRun.objects.filter(key="s3").update(error="boom", log_tail="a\nb", finished_at=None)
    serializer = StepSerializer()
    rows = [*StepRun.objects.all(), *inline]
    assert len(rows) >= 6
    for step in rows:
        generic = ModelSerializer.to_representation(serializer, step)
        assert serializer.to_representation(step) == generic
        assert list(serializer.to_representation(step)) == list(serializer.fields)
    assert StepSerializer(rows, many=True).data == [serializer.to_representation(s) for s in rows]


def test_json_parameters_read_back_as_json_dumps_would(db: None) -> None:
    import json
    import math

    from designer.runs.eventlog import json_param

    field = RunEvent._meta.get_field("data")
    value = {
        "float": 2.4000000000000004,
        "big": 1e16,
        "tiny": 5e-324,
        "int": 2**70,
        "text": 'naïve ✓ "quoted" \\ \n\t\u0000',
        "nested": [{"a": None, "b": True, "c": [1.5, -0.0]}],
        "nan": float("nan"),
        "inf": float("-inf"),
    }
    param = json_param(field, value, connection)
    if connection.vendor == "sqlite":
        assert isinstance(param, str)
        read, expected = json.loads(param), json.loads(json.dumps(value))
        assert math.isnan(read.pop("nan")) and math.isnan(expected.pop("nan"))
        assert read == expected
        assert math.copysign(1.0, read["nested"][0]["c"][1]) == -1.0
    else:  # Django's own adapter, untouched
        assert type(param) is type(field.get_db_prep_save(value, connection))
    assert json_param(field, None, connection) is None


def test_a_versions_plan_is_compiled_once_per_parameter_values_and_subset(team_tx: Team) -> None:
    from designer.graphs.models import GraphVersion
    from designer.runs import services

    editor = team_tx.client("editor")
    document = chain_document(3)
    document["parameters"] = {"keep": {"type": "string", "default": "^none$"}}
    document["nodes"][1]["params"]["pattern"] = "$keep"
    graph = make_graph(editor, team_tx.workspace.pk, document)
    first = wait_for(editor, post_run(editor, graph)["id"])
    version = GraphVersion.objects.get(graph_id=graph, number=first["version"])

    plan, plan_dict = services.version_plan(version, {}, None, None)
    assert services.version_plan(version, {}, None, None)[0] is plan  # kept, not recompiled
    assert Run.objects.get(pk=first["id"]).plan == plan_dict
    other, _ = services.version_plan(version, {"keep": "^other$"}, None, None)
    assert other is not plan and other.step("s2").params["pattern"] == "^other$"
    assert plan.step("s2").params["pattern"] == "^none$"
    subset, _ = services.version_plan(version, {}, "s2", None)
    assert subset.target == ("from", "s2") and plan.target == ("all", None)

    # through the API: each run's saved plan has its own values; a pinned version is compiled
    # from that version's document, not from the draft
    valued = wait_for(editor, post_run(editor, graph, {"parameters": {"keep": "^v$"}})["id"])
    saved = {s["key"]: s for s in Run.objects.get(pk=valued["id"]).plan["steps"]}
    assert saved["s2"]["params"]["pattern"] == "^v$"
    draft = editor.get(f"/api/graphs/{graph}/")
    changed = draft.json()["draft"]
    changed["nodes"][2]["params"]["pattern"] = f"^{uuid.uuid4().hex}$"
    url, etag = f"/api/graphs/{graph}/draft/", draft["ETag"]
    assert editor.put(url, changed, format="json", HTTP_IF_MATCH=etag).status_code == 200
    pinned = wait_for(editor, post_run(editor, graph, {"version": first["version"]})["id"])
    assert pinned["version"] == first["version"]
    assert {s["status"] for s in pinned["steps"]} == {"reused"}
    latest = steps(wait_for(editor, post_run(editor, graph)["id"]))
    assert latest["s3"]["status"] == "succeeded" and "`pattern`" in latest["s3"]["reason"]


def test_a_plan_is_stored_once_per_workspace_and_read_back_by_every_run_of_it(
    team_tx: Team,
) -> None:
    from designer.workspaces.services import delete_workspace

    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx)
    reruns = [post_run(editor, graph)["id"] for _ in range(2)]
    valued = wait_for(editor, post_run(editor, graph, {"bypass_cache": True})["id"])
    runs = Run.objects.filter(workspace=team_tx.workspace).order_by("pk")
    assert len(runs) == 4 and all(run.inline_plan == {} for run in runs)
    # the first run, both reruns and a cache-bypassing run compile to one plan: one row
    assert {run.shared_plan_id for run in runs} == {runs[0].shared_plan_id}
    assert SharedPlan.objects.filter(workspace=team_tx.workspace).count() == 1
    assert Run.objects.get(pk=valued["id"]).plan == runs[0].plan
    answer = editor.get(f"/api/runs/{reruns[1]}/plan/").json()
    assert [s["key"] for s in answer["steps"]] == [f"s{i}" for i in range(1, 6)]
    # a rerun finds the row by its key: the plan is not written (nor sent) again
    with CaptureQueriesContext(connection) as queries:
        assert post_run(editor, graph)["status"] == "succeeded"
    table = SharedPlan._meta.db_table
    assert not [q["sql"] for q in queries if "INSERT" in q["sql"] and table in q["sql"]]
    assert SharedPlan.objects.filter(workspace=team_tx.workspace).count() == 1

    # a run saved before plans were shared keeps its plan in its own row and reads the same
    Run.objects.filter(pk=reruns[1]).update(shared_plan=None, inline_plan=runs[0].plan)
    assert editor.get(f"/api/runs/{reruns[1]}/plan/").json() == answer

    # another workspace with the same graph has its own row; deleting a workspace deletes its
    # plans and leaves the other's readable
    outsider = team_tx.client("outsider")
    other_graph = make_graph(outsider, team_tx.foreign.pk, chain_document(5))
    other_run = Run.objects.get(pk=wait_for(outsider, post_run(outsider, other_graph)["id"])["id"])
    assert other_run.shared_plan_id != runs[0].shared_plan_id
    assert other_run.plan == runs[0].plan
    delete_workspace(team_tx.workspace)
    assert list(SharedPlan.objects.values_list("workspace", flat=True)) == [team_tx.foreign.pk]
    assert post_run(outsider, other_graph)["status"] == "succeeded"


def _timeless(body: Any) -> Any:
    """A JSON answer without the times a run measured for itself (they differ between runs)."""
    if isinstance(body, dict):
        return {
            k: _timeless(v)
            for k, v in body.items()
            if k not in ("finished_at", "started_at", "duration", "created_at")
        }
    if isinstance(body, list):
        return [_timeless(item) for item in body]
    return body


def test_a_run_stored_inline_reads_like_the_coordinators_rows_everywhere(
    team_tx: Team, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from designer.realtime import snapshot

    editor = team_tx.client("editor")
    graph = make_graph(editor, team_tx.workspace.pk, chain_document(4))
    first = wait_for(editor, post_run(editor, graph)["id"])["id"]
    with monkeypatch.context() as patched:
        patched.setattr(fastpath, "reused_events", lambda run, plan: None)
        reference = wait_for(editor, post_run(editor, graph)["id"])["id"]
    inline = post_run(editor, graph)["id"]
    assert inline in spy.executed and inline not in spy.dispatched
    assert row_counts(inline) == (0, 0) and row_counts(reference)[0] == 4

    def both(path: str) -> tuple[Any, Any]:
        answers = [editor.get(path.format(run=run)) for run in (reference, inline)]
        assert [a.status_code for a in answers] == [200, 200], path
        return answers[0].json(), answers[1].json()

    # the run page: its steps, the runs they reused, its plan, logs and outputs
    older, newer = both("/api/runs/{run}/")
    assert _timeless(newer["steps"]) == _timeless(older["steps"])
    assert newer["reused_runs"] == older["reused_runs"] and str(first) in newer["reused_runs"]
    older, newer = both("/api/runs/{run}/plan/")
    assert newer == older
    older, newer = both("/api/runs/{run}/steps/s2/log/")
    assert newer == older
    older, newer = both("/api/runs/{run}/steps/s4/outputs/dataset/preview/?limit=3")
    assert newer == older and newer["table"]["rows"]
    downloads = [
        editor.get(f"/api/runs/{run}/steps/s4/outputs/dataset/download/?as=csv")
        for run in (reference, inline)
    ]
    assert [d.status_code for d in downloads] == [200, 200]
    assert len({b"".join(d.streaming_content) for d in downloads}) == 1
    assert editor.get(f"/api/runs/{inline}/steps/s9/log/").status_code == 404
    # compared with the run it reused from, and with the reference
    older, newer = both(f"/api/runs/{first}/compare/{{run}}/")
    assert _timeless(newer["steps"]) == _timeless(older["steps"])
    assert newer["metrics"] == older["metrics"]
    compared = editor.get(f"/api/runs/{reference}/compare/{inline}/").json()
    assert not any(step["changed"] for step in compared["steps"])
    # over the socket: the snapshot a client receives, and the events it resumes from
    older_snap, newer_snap = snapshot.run_snapshot(reference), snapshot.run_snapshot(inline)
    assert older_snap is not None and newer_snap is not None
    assert newer_snap["seq"] == older_snap["seq"]
    assert _timeless(newer_snap["data"]["steps"]) == _timeless(older_snap["data"]["steps"])
    for after in (0, 3, newer_snap["seq"] - 1, newer_snap["seq"]):
        old_events, old_last = snapshot.replay(reference, after)
        new_events, new_last = snapshot.replay(inline, after)
        assert new_last == old_last == newer_snap["seq"]
        assert [(e["seq"], e["type"]) for e in new_events] == [
            (e["seq"], e["type"]) for e in old_events
        ]
        assert without_duration([(e["type"], e["data"]) for e in new_events]) == without_duration(
            [(e["type"], e["data"]) for e in old_events]
        )
    assert [e["seq"] for e in snapshot.events_after(inline, 2, 5)] == [3, 4, 5]


def test_retention_keeps_what_a_run_stored_inline_uses(team_tx: Team, spy: Spy) -> None:
    from designer.runs import engine_setup
    from designer.runs.retention import collect

    editor = team_tx.client("editor")
    ws = team_tx.workspace.pk
    graph = make_graph(editor, ws, chain_document(3))
    first = wait_for(editor, post_run(editor, graph)["id"])
    inline = post_run(editor, graph)
    assert row_counts(inline["id"]) == (0, 0)
    digests = [o["digest"] for step in inline["steps"] for o in step["outputs"].values()]
    assert digests and digests == [
        o["digest"] for step in first["steps"] for o in step["outputs"].values()
    ]

    done = collect(keep=1, grace=0)  # the run that computed them goes; the inline one stays
    assert done.runs == 1 and not Run.objects.filter(pk=first["id"]).exists()
    store = engine_setup.artifact_store()
    assert all(store.exists(digest) for digest in digests)
    used = editor.get(f"/api/workspaces/{ws}/storage/").json()
    assert used["runs"] == 1 and used["artifacts_bytes"] > 0
    preview = editor.get(f"/api/runs/{inline['id']}/steps/s3/outputs/dataset/preview/?limit=2")
    assert preview.status_code == 200 and preview.json()["table"]["rows"]
    again = post_run(editor, graph)  # still reused from the cache, still stored inline
    assert {s["status"] for s in again["steps"]} == {"reused"}
    assert row_counts(again["id"]) == (0, 0)

    Run.objects.filter(pk=inline["id"]).delete()  # with its record
    assert not RunRecord.objects.filter(run_id=inline["id"]).exists()


def test_an_unchanged_draft_is_known_by_its_revision(team_tx: Team) -> None:
    from django.test.utils import CaptureQueriesContext

    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx, nodes=3)
    with CaptureQueriesContext(connection) as queries:
        rerun = post_run(editor, graph)
    assert rerun["version"] == 1 and {s["status"] for s in rerun["steps"]} == {"reused"}
    documents = ('"graphs_graphversion"."document"', '"graphs_graph"."draft"')
    assert not [q["sql"] for q in queries if any(d in q["sql"] for d in documents)]

    # saved again unchanged (a new revision): the documents are compared once, then remembered
    draft = editor.get(f"/api/graphs/{graph}/")
    url, etag = f"/api/graphs/{graph}/draft/", draft["ETag"]
    saved = editor.put(url, draft.json()["draft"], format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200
    assert post_run(editor, graph)["version"] == 1
    with CaptureQueriesContext(connection) as queries:
        assert post_run(editor, graph)["version"] == 1
    assert not [q["sql"] for q in queries if any(d in q["sql"] for d in documents)]

    # a changed draft is a new version, remembered with its revision
    changed = editor.get(f"/api/graphs/{graph}/")
    document = changed.json()["draft"]
    document["nodes"][2]["params"]["pattern"] = f"^{uuid.uuid4().hex}$"
    saved = editor.put(url, document, format="json", HTTP_IF_MATCH=changed["ETag"])
    assert saved.status_code == 200
    assert wait_for(editor, post_run(editor, graph)["id"])["version"] == 2
    assert post_run(editor, graph)["version"] == 2
