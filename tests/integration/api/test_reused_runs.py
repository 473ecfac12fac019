"""A run whose every step is reused is finished inside its POST (decision 0003, "fast path").

Through the real HTTP API on the embedded local runner: the finished run's saved event log is
the one the coordinator writes for the same rerun, its events are published once the
transaction has committed, and every run that needs a worker (a changed step, a bypassed
cache, run from / run only) or is started in Celery mode is handed over exactly as before.
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
from rest_framework.test import APIClient

from designer.runs import dispatch, distributed, eventlog, fastpath
from designer.runs.models import Run, RunEvent, StepRun
from tests.integration.api.conftest import Team, make_team
from tests.integration.api.test_runs import chain_document, make_graph, steps, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
STEP_COLUMNS = ("key", "module", "status", "attempts", "reason", "fingerprint", "outputs")
STEP_COLUMNS += ("error", "log_tail", "progress", "started_at")


@pytest.fixture
def team_tx(transactional_db: None) -> Team:
    """A team in a database that background threads can see."""
    return make_team()


@dataclass
class Spy:
    """Records the runs handed to the coordinator or Celery and the events published."""

    dispatched: list[int] = field(default_factory=list)
    queued_on_celery: list[int] = field(default_factory=list)
    executed: list[int] = field(default_factory=list)
    published: list[dict[str, Any]] = field(default_factory=list)
    committed_when_published: dict[int, int] = field(default_factory=dict)
    in_transaction_when_published: list[bool] = field(default_factory=list)


def _count_committed(run_id: int) -> int:
    """Count a run's saved events through a connection of another thread (committed rows only)."""
    counted: list[int] = []

    def count() -> None:
        try:
            counted.append(RunEvent.objects.filter(run_id=run_id).count())
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
    execute, publish = fastpath.execute, eventlog.publish_run_events

    def spying_start(run_id: int) -> None:
        seen.dispatched.append(run_id)
        start(run_id)

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

    monkeypatch.setattr(dispatch, "start", spying_start)
    monkeypatch.setattr(distributed, "advance_later", seen.queued_on_celery.append)
    monkeypatch.setattr(fastpath, "execute", spying_execute)
    monkeypatch.setattr(eventlog, "publish_run_events", spying_publish)
    yield seen


def post_run(client: APIClient, graph: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post(f"/api/graphs/{graph}/runs/", body or {}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def event_log(run_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of a run's saved events in seq order, checking that the seqs are 1..n."""
    events = list(RunEvent.objects.filter(run_id=run_id).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    return [(e.type, e.data) for e in events]


def without_duration(log: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """The log with run.finished's duration blanked (it is a measured time)."""
    return [
        (kind, {**data, "duration": None} if kind == "run.finished" else data) for kind, data in log
    ]


def step_rows(run_id: int) -> list[dict[str, Any]]:
    return list(StepRun.objects.filter(run_id=run_id).order_by("id").values(*STEP_COLUMNS))


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
    assert answer == editor.get(f"/api/runs/{run_id}/").json()

    # The same saved event log as the coordinator's, message for message.
    log = event_log(run_id)
    assert without_duration(log) == without_duration(event_log(reference["id"]))
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

    # The same rows: steps, and the run's own state.
    assert step_rows(run_id) == step_rows(reference["id"])
    assert all(s["finished_at"] and s["started_at"] is None for s in answer["steps"])
    run = Run.objects.get(pk=run_id)
    assert (run.status, run.error, run.seq) == ("succeeded", "", len(log))
    assert run.created_at <= run.started_at <= run.finished_at

    # Published once, in seq order, after the commit (every row visible to another connection).
    mine = [e for e in spy.published if e["run_id"] == run_id]
    assert mine == [
        {"type": kind, "run_id": run_id, "seq": seq, "data": data}
        for seq, (kind, data) in enumerate(log, start=1)
    ]
    assert spy.committed_when_published[run_id] == len(log)
    assert not any(spy.in_transaction_when_published)
    received = [async_to_sync(layer.receive)(channel)["message"] for _ in range(4)]
    assert [(m["type"], m["run_id"], m["data"]["status"]) for m in received] == [
        ("run.status", run_id, "queued"),
        ("run.status", run_id, "running"),
        ("run.status", run_id, "succeeded"),
        ("run.finished", run_id, "succeeded"),
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

    from designer.runs.serializers import StepSerializer

    editor = team_tx.client("editor")
    graph = cached_graph(editor, team_tx, nodes=3)
    post_run(editor, graph)
    now = timezone.now()
    StepRun.objects.filter(key="s2").update(
        started_at=now - timedelta(seconds=1.5), progress={"value": 1.0, "max": 4.0}
    )
    StepRun.objects.filter(key="s3").update(error="boom", log_tail="a\nb", finished_at=None)
    serializer = StepSerializer()
    rows = list(StepRun.objects.all())
    assert len(rows) >= 6
    for step in rows:
        assert serializer.to_representation(step) == serializer.generic_representation(step)
        assert list(serializer.to_representation(step)) == list(serializer.fields)


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
