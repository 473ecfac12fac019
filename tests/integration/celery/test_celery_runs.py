"""The distributed path: runs executed by a real Celery worker on Redis, through the HTTP API."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from django.db import connection
from django.utils import timezone

from designer.engine.events import Event, EventType
from designer.runs import distributed, heartbeat, reconciler, services
from designer.runs.heartbeat import Heartbeat
from designer.runs.models import Run, RunEvent, RunStatus, StepRun
from designer.runs.tasks import _run_claimed, run_step
from designer.sandbox.slots import UID_BASE
from tests.integration.api.conftest import Team, make_team, token_client
from tests.integration.api.test_runs import (
    FAILING,
    SLEEPING_SCRIPT,
    chain_document,
    check_a_hung_step_times_out_and_is_retried,
    check_a_version_a_run_wrote_names_its_run_and_step,
    import_example,
    make_graph,
    start_sleeping_run,
    steps,
    wait_for,
)
from tests.integration.celery.conftest import HEARTBEAT_SECONDS, WORKER_MEMORY_MB
from tests.support.graphs import graph, node
from tests.support.sandbox import iris_into, script, start, table
from tests.support.smtp import Inbox
from tests.support.workers import redis_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery, pytest.mark.redis]


def unique_c() -> float:
    """A regularisation strength no earlier run used, so the learner steps really run."""
    return round(random.uniform(0.05, 50.0), 6)


@pytest.fixture
def team_tx(transactional_db: None, celery_runner: None) -> Team:
    """A team whose runs go to the Celery worker."""
    return make_team()


def test_example_runs_on_celery_then_reuses_everything(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    graph = import_example(editor, team_tx.workspace.pk, "binary_breast_cancer")
    draft = graph["draft"]
    next(n for n in draft["nodes"] if n["id"] == "logreg")["params"]["C"] = unique_c()
    etag = graph["etag"]
    saved = editor.put(
        f"/api/graphs/{graph['id']}/draft/", draft, format="json", HTTP_IF_MATCH=etag
    )
    assert saved.status_code == 200
    started = editor.post(f"/api/graphs/{graph['id']}/runs/", {}, format="json").json()
    assert started["runner"] == "celery"
    first = wait_for(editor, started["id"], timeout=120)
    assert first["status"] == "succeeded", [
        (s["key"], s["status"], s["error"]) for s in first["steps"]
    ]
    ran = [s for s in first["steps"] if s["status"] == "succeeded"]
    assert len(ran) >= 4 and all(s["attempts"] == 1 for s in ran)
    running = RunEvent.objects.filter(
        run_id=first["id"], type="step.status", data__status="running"
    )
    assert running.count() == len(ran)  # every step that ran was started exactly once
    seqs = list(RunEvent.objects.filter(run_id=first["id"]).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    preview = editor.get(f"/api/runs/{first['id']}/steps/evaluate/outputs/metrics/preview/")
    assert preview.status_code == 200  # a JSON output's preview streams its stored text
    assert json.loads(b"".join(preview.streaming_content))["kind"] == "json"

    again = editor.post(f"/api/graphs/{graph['id']}/runs/", {}, format="json").json()
    second = wait_for(editor, again["id"], timeout=60)
    assert second["status"] == "succeeded" and second["version"] == first["version"]
    assert {s["status"] for s in second["steps"]} == {"reused"}


def test_a_workspace_with_many_runs_waiting_holds_back_no_other_workspaces_run(
    team_tx: Team,
) -> None:
    """Six runs of one workspace fill the worker's two pool processes and the queue; the step
    of a run another workspace starts meanwhile goes next, not after all of theirs (decision
    0082). (Runs waiting longer than a heartbeat are started by the reconciler, which sends
    their first steps: either way their tasks wait in the queue by priority.)"""
    editor, outsider = team_tx.client("editor"), team_tx.client("outsider")
    slow = make_graph(
        editor, team_tx.workspace.pk, chain_document(1, SLEEPING_SCRIPT.format(seconds=3))
    )
    quick = make_graph(
        outsider, team_tx.foreign.pk, chain_document(1, SLEEPING_SCRIPT.format(seconds=0))
    )
    start = {"bypass_cache": True}
    flood = [
        editor.post(f"/api/graphs/{slow}/runs/", start, format="json").json()["id"]
        for _ in range(6)
    ]
    deadline = time.monotonic() + 60
    while Run.objects.filter(pk__in=flood, status=RunStatus.RUNNING).count() < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    other = outsider.post(f"/api/graphs/{quick}/runs/", start, format="json").json()["id"]
    assert wait_for(outsider, other, timeout=120)["status"] == "succeeded"
    for run in flood:
        assert wait_for(editor, run, timeout=120)["status"] == "succeeded"
    priorities = dict(Run.objects.filter(pk__in=[*flood, other]).values_list("pk", "priority"))
    assert [priorities[run] for run in flood] == [0, 1, 2, 3, 4, 5]
    assert priorities[other] == 0
    scripts = StepRun.objects.filter(run_id__in=[*flood, other], key="py")
    started = dict(scripts.values_list("run_id", "started_at"))  # each run's sleeping step
    flood_starts = sorted(started[run] for run in flood)
    assert started[other] < flood_starts[3], (started[other], flood_starts)


@pytest.mark.postgres  # SQLite takes one writer at a time: nothing to race
def test_runs_started_at_once_in_one_workspace_are_counted_one_after_another(
    team_tx: Team,
) -> None:
    """Six pipelines of one workspace started by six requests at the same moment (the starts of
    one pipeline wait for each other on its row; of six, they did not): each run counts the
    runs committed before it, as the workspace's row is held while a run is created, so their
    tasks wait behind other workspaces' as six started one by one would (decision 0082)."""
    editor = team_tx.client("editor")
    slow = chain_document(1, SLEEPING_SCRIPT.format(seconds=2))  # all six still going
    graphs = [make_graph(editor, team_tx.workspace.pk, slow) for _ in range(6)]
    together, started = threading.Barrier(6), []

    def start(gid: int) -> None:
        client = token_client(team_tx.users["editor"])
        together.wait()
        body = {"bypass_cache": True}
        started.append(client.post(f"/api/graphs/{gid}/runs/", body, format="json").json()["id"])
        connection.close()

    threads = [threading.Thread(target=start, args=(gid,)) for gid in graphs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    priorities = Run.objects.filter(pk__in=started).values_list("priority", flat=True)
    assert sorted(priorities) == [0, 1, 2, 3, 4, 5]
    for run in started:
        assert wait_for(editor, run, timeout=120)["status"] == "succeeded"


def fan_out_document(scripts: int, seconds: float) -> dict[str, Any]:
    """iris, then `scripts` sleeping scripts reading it (py1, py2, …), none cached before."""
    document = chain_document(1, SLEEPING_SCRIPT.format(seconds=seconds))
    script_node, edge = document["nodes"].pop(), document["edges"].pop()
    for i in range(1, scripts + 1):
        code = f"# {uuid.uuid4().hex}\n{script_node['params']['code']}"
        document["nodes"].append({**script_node, "id": f"py{i}", "params": {"code": code}})
        document["edges"].append(
            {**edge, "id": f"e{i}", "target": {**edge["target"], "node": f"py{i}"}}
        )
    return document


def timeline(*runs: int) -> str:
    """The runs' steps, one a line in the order they started: when each started and ended."""
    rows = StepRun.objects.filter(run_id__in=runs, started_at__isnull=False).order_by("started_at")
    return "".join(
        f"\n{row.started_at:%S.%f} to {row.finished_at and f'{row.finished_at:%S.%f}'}"
        f" run {row.run_id} {row.key}"
        for row in rows
    )


def fan_out_holding(client: Any, graph: int, processes: int) -> int:
    """Start a run of a `fan_out_document` graph: its id once `processes` of its scripts run."""
    run_id = int(client.post(f"/api/graphs/{graph}/runs/", {}, format="json").json()["id"])
    deadline = time.monotonic() + 60
    running = StepRun.objects.filter(run_id=run_id, status="running", key__startswith="py")
    while running.count() < processes:  # a query each time
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return run_id


@pytest.mark.parametrize("seconds", [1, 4])
def test_a_run_started_meanwhile_gets_the_first_worker_a_wide_fan_out_frees(
    team_tx: Team, seconds: int
) -> None:
    """A fan-out of four steps holds the worker's two pool processes, each of which would take
    the fan-out's next step itself; a run another workspace starts meanwhile gets the first
    process that finishes a step, not the one after the whole fan-out (decision 0088). With
    4-s steps the other run waits longer than a heartbeat lifetime (1.5 s here), so a
    reconciler starts it first: its first step's task then waits in the queue."""
    editor, outsider = team_tx.client("editor"), team_tx.client("outsider")
    wide = make_graph(editor, team_tx.workspace.pk, fan_out_document(4, seconds=seconds))
    quick = make_graph(
        outsider, team_tx.foreign.pk, chain_document(1, SLEEPING_SCRIPT.format(seconds=0))
    )
    fan = fan_out_holding(editor, wide, processes=2)
    other = outsider.post(f"/api/graphs/{quick}/runs/", {"bypass_cache": True}, format="json")
    other_id = other.json()["id"]
    assert wait_for(outsider, other_id, timeout=120)["status"] == "succeeded"
    assert wait_for(editor, fan, timeout=120)["status"] == "succeeded"
    scripts = StepRun.objects.filter(run_id=fan, key__startswith="py")
    fan_starts = sorted(scripts.values_list("started_at", flat=True))
    other_start = StepRun.objects.get(run_id=other_id, key="py").started_at
    assert other_start < fan_starts[3], timeline(fan, other_id)


def test_a_fan_out_started_later_gets_its_share_of_a_cluster_another_fan_out_holds(
    team_tx: Team, second_worker: None
) -> None:
    """Two workers of two processes: one team's fan-out of twelve holds all four, and each would
    take the fan-out's next step itself. Another team's fan-out of four, started meanwhile, gets
    one process (decision 0088) and then a second as the first fan-out's steps end: it holds two
    at once before the first fan-out has started its last step, not only once that fan-out's
    queue is empty (decision 0092)."""
    editor, outsider = team_tx.client("editor"), team_tx.client("outsider")
    wide = make_graph(editor, team_tx.workspace.pk, fan_out_document(12, seconds=2))
    later = make_graph(outsider, team_tx.foreign.pk, fan_out_document(4, seconds=2))
    fan = fan_out_holding(editor, wide, processes=4)
    other = outsider.post(f"/api/graphs/{later}/runs/", {"bypass_cache": True}, format="json")
    other_id = other.json()["id"]
    assert wait_for(outsider, other_id, timeout=120)["status"] == "succeeded"
    assert wait_for(editor, fan, timeout=120)["status"] == "succeeded"
    last_fan_start = max(
        StepRun.objects.filter(run_id=fan, key__startswith="py").values_list(
            "started_at", flat=True
        )
    )
    spans = list(
        StepRun.objects.filter(run_id=other_id, key__startswith="py").values_list(
            "started_at", "finished_at"
        )
    )
    second_at_once = min(
        (start for start, _ in spans if any(s < start < f for s, f in spans if s != start)),
        default=None,
    )
    assert second_at_once is not None, spans  # it never held two at once
    assert second_at_once < last_fan_start, (second_at_once, last_fan_start, spans)


def test_a_step_task_delivered_twice_runs_once(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    document = chain_document(2)
    document["nodes"][1]["params"]["pattern"] = f"^{uuid.uuid4().hex}$"  # not cached yet
    gid = make_graph(editor, team_tx.workspace.pk, document)
    run = wait_for(editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    step = StepRun.objects.get(run_id=run["id"], key="s2")
    assert step.status == "succeeded" and step.attempts == 1
    before = RunEvent.objects.filter(run_id=run["id"]).count()
    run_step.apply(args=(run["id"], "s2", {"attempt": 1}))  # a redelivery of the same task
    step.refresh_from_db()
    assert step.attempts == 1 and step.status == "succeeded"
    assert RunEvent.objects.filter(run_id=run["id"]).count() == before


def test_a_fan_out_step_left_queued_is_run_by_the_worker_that_finishes_first(
    team_tx: Team,
) -> None:
    # iris, then three scripts reading it: the worker's two processes run one each, and the
    # one that reports first takes the third itself (its task's message is then dropped)
    editor = team_tx.client("editor")
    gid = make_graph(editor, team_tx.workspace.pk, fan_out_document(3, seconds=2))
    run_id = editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"]
    beating = redis.Redis.from_url(redis_url())
    holders: dict[str, str] = {}  # step -> the Celery task it ran in (its heartbeat says)
    deadline = time.monotonic() + 120
    while len(holders) < 3:
        assert time.monotonic() < deadline, holders
        for key in ("py1", "py2", "py3"):
            holder = beating.get(f"designer:heartbeat:run{run_id}-{key}-1")
            if holder is not None:
                holders[key] = holder.decode().split(":")[2]
        time.sleep(0.05)
    run = wait_for(editor, run_id)
    assert run["status"] == "succeeded"
    in_place = [key for key, task in holders.items() if task != f"run{run_id}-{key}-1"]
    assert len(in_place) >= 2, holders  # the one iris made ready, and the one left queued
    statuses = RunEvent.objects.filter(run_id=run_id, type="step.status")
    running = statuses.filter(data__status="running").values_list("data__step", flat=True)
    assert sorted(running) == ["py1", "py2", "py3", "s1"]  # each started once
    seqs = list(RunEvent.objects.filter(run_id=run_id).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_cancel_on_celery(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    _, run_id = start_sleeping_run(editor, team_tx.workspace.pk)
    canceled = editor.post(f"/api/runs/{run_id}/cancel/").json()
    assert canceled["status"] == "canceled"
    assert steps(canceled)["py"]["status"] == "canceled"
    time.sleep(1)
    assert steps(editor.get(f"/api/runs/{run_id}/").json())["py"]["status"] == "canceled"


def test_a_step_started_by_the_worker_of_its_upstream_step_is_stopped_by_cancel(
    team_tx: Team,
) -> None:
    editor = team_tx.client("editor")
    _, run_id = start_sleeping_run(editor, team_tx.workspace.pk, seconds=600)
    beating = redis.Redis.from_url(redis_url())
    holder = beating.get(f"designer:heartbeat:run{run_id}-py-1")
    assert holder is not None
    # it runs in the task that ran its upstream step (the run's first advance_run), not its own
    assert holder.decode().split(":")[2] not in ("", f"run{run_id}-py-1")
    editor.post(f"/api/runs/{run_id}/cancel/")
    deadline = time.monotonic() + 60  # the script would sleep for 600 s
    while beating.exists(f"designer:heartbeat:run{run_id}-py-1"):  # it stopped running
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert steps(editor.get(f"/api/runs/{run_id}/").json())["py"]["status"] == "canceled"


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (children first, then theirs)."""
    found: list[int] = []
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    for child in map(int, children.split()):
        found += [child, *_descendants(child)]
    return found


def test_a_canceled_step_ends_the_pool_process_that_ran_it(
    team_tx: Team, celery_worker: subprocess.Popen[bytes]
) -> None:
    # cancel revokes the step's task with SIGTERM, which the pool process gets as a SystemExit
    # wherever it is: the step must not swallow it, or the process would go on running steps
    # with whatever it was importing at that moment half-imported (pandas then failed every
    # later step there: "A type extension with name pandas.period already defined")
    editor = team_tx.client("editor")
    _, run_id = start_sleeping_run(editor, team_tx.workspace.pk, seconds=600)
    holder = redis.Redis.from_url(redis_url()).get(f"designer:heartbeat:run{run_id}-py-1")
    assert holder is not None
    pool_process = int(holder.decode().split(":")[1])  # host:pid:task of the one running it
    assert pool_process in _descendants(celery_worker.pid)
    editor.post(f"/api/runs/{run_id}/cancel/")
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pool_process}").exists():
        assert time.monotonic() < deadline, "the pool process of the canceled step lives on"
        time.sleep(0.1)
    assert steps(wait_for(editor, run_id))["py"]["status"] == "canceled"
    quick = chain_document(1, SLEEPING_SCRIPT.format(seconds=0))
    again = wait_for(editor, start(editor, team_tx.workspace.pk, quick))
    assert again["status"] == "succeeded", again  # the replaced pool runs steps


def _command(pid: int) -> str:
    """The command line of a process ("" once it is gone)."""
    with contextlib.suppress(FileNotFoundError):
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    return ""


def test_a_step_whose_worker_is_killed_is_retried_saying_why(
    team_tx: Team, celery_worker: subprocess.Popen[bytes]
) -> None:
    editor = team_tx.client("editor")
    _, run_id = start_sleeping_run(editor, team_tx.workspace.pk, seconds=30)
    for pid in _descendants(celery_worker.pid):  # the pool processes and what they started
        if "designer.runs.reconciler" not in _command(pid):  # it is the one to notice
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    # the worker's parent replaced its pool: the lost attempt fails and the next one starts
    deadline = time.monotonic() + 30  # well before the first attempt's script would have ended
    while True:
        py = steps(editor.get(f"/api/runs/{run_id}/").json())["py"]
        if py["status"] == "running" and py["attempts"] == 2:
            break
        assert time.monotonic() < deadline, py
        time.sleep(0.1)
    first = py["history"][0]
    assert (first["attempt"], first["status"]) == (1, "failed")
    assert "The worker running this step stopped" in first["error"]
    assert py["history"][1]["status"] == "running"
    canceled = editor.post(f"/api/runs/{run_id}/cancel/").json()
    assert steps(canceled)["py"]["history"][1]["status"] == "canceled"
    statuses = list(
        RunEvent.objects.filter(run_id=run_id, type="step.status", data__step="py").values_list(
            "data__status", "data__attempt"
        )
    )
    assert statuses == [
        ("queued", 1),
        ("running", 1),
        ("retrying", 1),
        ("queued", 2),
        ("running", 2),
        ("canceled", 2),
    ]


def test_a_redelivered_task_or_a_repeated_or_late_result_changes_nothing(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    _, run_id = start_sleeping_run(editor, team_tx.workspace.pk, seconds=3)
    assert not distributed.claim(run_id, "py", 1)  # a redelivered run_step starts nothing
    first = {"status": "failed", "error": "first", "error_type": "StepError", "retryable": False}
    distributed.report(run_id, "py", 1, first)  # taken: attempt 1 is the running one
    events = list(RunEvent.objects.filter(run_id=run_id).values_list("seq", "type"))
    distributed.report(run_id, "py", 1, {**first, "error": "again"})  # a repeat
    wait_for(editor, run_id)
    beating = redis.Redis.from_url(redis_url())
    deadline = time.monotonic() + 60  # the worker's own result of attempt 1 comes late: its
    while beating.exists(f"designer:heartbeat:run{run_id}-py-1"):  # heartbeat ends after it
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert list(RunEvent.objects.filter(run_id=run_id).values_list("seq", "type")) == events
    py = StepRun.objects.get(run_id=run_id, key="py")
    assert (py.status, py.error, py.attempts) == ("failed", "first", 1)
    statuses = RunEvent.objects.filter(run_id=run_id, type="step.status", data__step="py")
    assert [data["status"] for data in statuses.values_list("data", flat=True)] == [
        "queued",
        "running",
        "failed",
    ]


def test_a_steps_last_logs_are_saved_with_its_result_and_a_stale_reports_anyway(
    team_tx: Team,
) -> None:
    """A worker hands the lines a step printed since its last log batch to its report: they
    are logged before the step's end, in the report's transaction; a report that is dropped
    (about an attempt that is not the running one) still saves its lines while the run goes on."""
    editor = team_tx.client("editor")
    _, run_id = start_sleeping_run(editor, team_tx.workspace.pk, seconds=3)

    def told(line: str) -> list[Event]:
        return [
            Event(EventType.STEP_LOG, "py", {"lines": [line], "stream": "stdout", "attempt": 1})
        ]

    failed = {"status": "failed", "error": "first", "error_type": "StepError", "retryable": False}
    assert distributed.report(run_id, "py", 2, failed, logs=told("not the running one")) is None
    distributed.report(run_id, "py", 1, failed, logs=told("last words"))
    wait_for(editor, run_id)
    told_py = RunEvent.objects.filter(run_id=run_id, data__step="py").order_by("seq")
    assert [
        (kind, data.get("status") or data.get("lines"))
        for kind, data in told_py.values_list("type", "data")
        if data.get("stream") == "stdout" or data.get("status") == "failed"
    ] == [
        ("step.log", ["not the running one"]),
        ("step.log", ["last words"]),
        ("step.status", "failed"),
    ]
    py = StepRun.objects.get(run_id=run_id, key="py")
    assert (py.status, py.error, py.attempts) == ("failed", "first", 1)


def test_user_code_runs_in_the_sandbox_on_a_celery_worker(team_tx: Team) -> None:
    body = """
facts['uid'] = os.getuid()
facts['interfaces'] = [name for _, name in socket.if_nameindex()]
facts['root'] = sorted(os.listdir('/'))
"""
    editor = team_tx.client("editor")
    document = iris_into("script.python@1", "dataset1", {"code": script(body)})
    run = wait_for(editor, start(editor, team_tx.workspace.pk, document))
    assert run["status"] == "succeeded" and run["runner"] == "celery"
    seen = table(editor, run["id"])
    assert int(seen["uid"]) >= UID_BASE and seen["interfaces"] == "['lo']"
    assert "'var'" in seen["root"] and "'etc'" not in seen["root"]  # bwrap's minimal root
    sql = iris_into("transform.sql@1", "t1", {"query": "VACUUM INTO '/tmp/x.db'; SELECT 1"})
    failed = steps(wait_for(editor, start(editor, team_tx.workspace.pk, sql)))["user"]
    assert failed["status"] == "failed" and "VACUUM INTO is not available" in failed["error"]


def test_a_hung_celery_step_times_out_and_is_retried(team_tx: Team, settings: Any) -> None:
    settings.DESIGNER_RETRY_BACKOFF = 0.1
    check_a_hung_step_times_out_and_is_retried(team_tx.client("editor"), team_tx.workspace.pk)


def test_a_version_a_celery_step_wrote_names_its_run_and_step(team_tx: Team) -> None:
    check_a_version_a_run_wrote_names_its_run_and_step(team_tx)


def test_a_sweep_while_a_transition_sends_its_tasks_sends_none_of_them_again(
    team_tx: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a transition sends the tasks of the steps it queued after its commit (a fan-out's first
    # one: 199 of them, seconds under load); a reconciler's sweep meanwhile must not take them
    # for lost messages and send them again (each re-send is a transition under the run lock)
    editor = team_tx.client("editor")
    graph = make_graph(editor, team_tx.workspace.pk, chain_document(2))
    resent: list[tuple[int, str, int]] = []
    monkeypatch.setattr(distributed, "resend", lambda *attempt: resent.append(attempt))
    swept: list[int] = []

    def send(*args: Any, **kwargs: Any) -> None:
        if not swept:  # a worker's sweep, while this task is being sent
            swept.append(reconciler.sweep())

    monkeypatch.setattr(run_step, "apply_async", send)
    monkeypatch.setattr(distributed, "advance_later", lambda run_id, at=None, priority=0: None)
    marks = redis.Redis.from_url(redis_url())
    for _ in range(3):  # the worker's reconciler may begin a run first (queued for 1.5 s)
        run_id = editor.post(f"/api/graphs/{graph}/runs/", {}, format="json").json()["id"]
        marks.delete(f"designer:sent:run{run_id}-s1-1")  # an earlier session's run had this id
        distributed.advance(run_id)  # begins the run: iris queued, its task sent
        services.finish(run_id, "canceled")  # its task was never really sent
        if swept:
            break
    assert swept, "no run was begun here"
    assert [attempt for attempt in resent if attempt[0] == run_id] == []


def tasks_kept_here(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str, dict[str, Any]]]:
    """No worker gets the runs' tasks: no run's advance is queued, and each step task a
    transition sends is listed instead, as (run id, step, task), for the test to run."""
    monkeypatch.setattr(distributed, "advance_later", lambda run_id, at=None, priority=0: None)
    sent: list[tuple[int, str, dict[str, Any]]] = []
    monkeypatch.setattr(
        distributed,
        "_send_steps",
        lambda run, sends, priority: sent.extend((run.pk, key, task) for key, task in sends),
    )
    return sent


def test_a_claim_goes_beside_a_transition_sharing_the_run_and_starts_its_attempt_once(
    team_tx: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's claim of a queued attempt starts it (a step that reads another: its inputs
    come from that step's row), with its heartbeat and its `step.started` next in the log; a
    second claim of that attempt starts nothing. On PostgreSQL the claim does not wait for a
    sibling report in flight (which holds the run row FOR KEY SHARE)."""
    sent = tasks_kept_here(monkeypatch)
    editor = team_tx.client("editor")
    document = chain_document(2)
    document["nodes"][1]["params"]["pattern"] = f"^{uuid.uuid4().hex}$"
    gid = make_graph(editor, team_tx.workspace.pk, document)
    run_id = editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"]
    distributed.advance(run_id)  # s1 queued as attempt 1, its task sent
    assert distributed.claim(run_id, "s1", 1)
    output = {"digest": "ab" * 32, "kind": "parquet", "size": 1, "summary": {}}
    done = {"status": "succeeded", "outputs": {"dataset": output}}
    distributed.report(run_id, "s1", 1, done)  # s2 queued as attempt 1, its task sent
    assert [key for _, key, _ in sent] == ["s1", "s2"]
    assert sent[1][2]["inputs"]["dataset"]["digest"] == output["digest"]
    if connection.vendor == "postgresql":
        data = connection.settings_dict
        dsn = f"host={data['HOST']} port={data['PORT']} dbname={data['NAME']} user={data['USER']}"
        with psycopg.connect(f"{dsn} password={data['PASSWORD']}") as report:  # one in flight
            report.execute("SELECT 1 FROM runs_run WHERE id = %s FOR KEY SHARE", [run_id])
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")  # the run lock would wait for it
            try:
                assert distributed.claim(run_id, "s2", 1)
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("SET lock_timeout = 0")
    else:  # SQLite writes one transaction at a time: the claim takes the run lock
        assert distributed.claim(run_id, "s2", 1)
    step = StepRun.objects.get(run_id=run_id, key="s2")
    assert (step.status, step.attempts) == ("running", 1)
    assert redis.Redis.from_url(redis_url()).exists(f"designer:heartbeat:run{run_id}-s2-1")
    events = list(RunEvent.objects.filter(run_id=run_id).order_by("seq").values("seq", "data"))
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["data"] == {**events[-1]["data"], "step": "s2", "status": "running"}
    assert not distributed.claim(run_id, "s2", 1)  # a redelivery
    assert RunEvent.objects.filter(run_id=run_id).count() == len(events)


@pytest.mark.parametrize("owed", ["queued", "sent", "taken first", "unreadable"])
def test_a_worker_owed_elsewhere_never_leaves_its_run_seeming_to_hold_none(
    team_tx: Team, monkeypatch: pytest.MonkeyPatch, settings: Any, owed: str
) -> None:
    """Two processes of a fan-out end their steps at once, and both find another workspace's
    run owed a worker (decisions 0088, 0092): queued, or started with its first step's task
    sent. The first starts the owed step (a queued run's start) before it saves its own
    result; the second, finding that step taken, starts its own run's next in the transaction
    that saves its result. Either way the fan-out is never seen holding no worker: the owed
    run's worker, its quick step done, gave way to a fan-out seen so, which then had both
    processes again (decisions 0096, 0101). A queued run whose plan cannot be read (damaged, or
    saved by a version reading plans otherwise) fails saying so, and the worker goes on with its
    own run."""
    settings.DESIGNER_HEARTBEAT_SECONDS = HEARTBEAT_SECONDS  # this process runs steps too
    sent = tasks_kept_here(monkeypatch)
    editor, outsider = team_tx.client("editor"), team_tx.client("outsider")
    wide = make_graph(editor, team_tx.workspace.pk, fan_out_document(3, seconds=0))
    fan = editor.post(f"/api/graphs/{wide}/runs/", {"bypass_cache": True}, format="json")
    fan_id = fan.json()["id"]
    distributed.advance(fan_id)  # s1 queued, its task sent
    assert distributed.claim(fan_id, "s1", 1)
    (task,) = (task for run, key, task in sent if (run, key) == (fan_id, "s1"))
    claimed = _run_claimed(fan_id, "s1", task)  # py1 here, py2 and py3 sent
    assert claimed is not None and claimed[:2] == (fan_id, "py1")
    assert distributed.claim(fan_id, "py2", 1)  # by the other process
    held = [distributed.task_id(fan_id, "py1", 1), distributed.task_id(fan_id, "py2", 1)]
    with contextlib.ExitStack() as beating:  # or the worker's reconciler reports them lost
        for name in held:
            beating.enter_context(Heartbeat(name))
        quick = make_graph(outsider, team_tx.foreign.pk, chain_document(1))
        answer = outsider.post(f"/api/graphs/{quick}/runs/", {"bypass_cache": True}, format="json")
        other = answer.json()["id"]
        # its `advance_run` is not lost: the worker's reconciler leaves it to this test (it
        # advances a run queued for a heartbeat lifetime, 1.5 s, which a slow step here takes)
        Run.objects.filter(pk=other).update(created_at=timezone.now() + timedelta(hours=1))
        if owed == "unreadable":
            Run.objects.filter(pk=other).update(inline_plan={"steps": []}, shared_plan=None)
        elif owed != "queued":
            distributed.advance(other)  # its s1 queued, its task sent
        if owed == "taken first":  # by the other process, as if py2 had ended a moment before
            assert distributed.take_queued(other) is not None
            held.append(distributed.task_id(other, "s1", 1))
            beating.enter_context(Heartbeat(held[-1]))
        monkeypatch.setattr(distributed, "owed", lambda run_id: other)
        holding: list[int] = []  # the fan-out's steps running as each transition begins
        transition = distributed._transition
        monkeypatch.setattr(
            distributed,
            "_transition",
            lambda *args, **kwargs: (
                holding.append(StepRun.objects.filter(run_id=fan_id, status="running").count())
                or transition(*args, **kwargs)
            ),
        )
        claimed = _run_claimed(*claimed)
    assert claimed is not None
    assert claimed[:2] == (
        (fan_id, "py3") if owed in ("taken first", "unreadable") else (other, "s1")
    )
    assert set(holding) == {2}  # py1 saved after the owed step started, or with py3 started
    if owed == "unreadable":
        failed = Run.objects.get(pk=other)
        assert (failed.status, failed.error) == (
            "failed",
            "The run's plan cannot be read: malformed plan: KeyError('plan_version')",
        )
    else:
        assert StepRun.objects.get(run_id=other, key="s1").status == "running"
    deadline = time.monotonic() + 10
    while any(heartbeat.alive(held)):
        assert time.monotonic() < deadline  # this process's beats end while this test's
        time.sleep(0.05)  # settings still name the Redis


def test_a_join_past_the_pool_processs_memory_fails_as_out_of_memory(team_tx: Team) -> None:
    # 4,500 rows a side on a constant key: 20,250,000 rows, at least 927 MB by the Join's count
    # (so it runs under 1,024 MB); the merge needs more: the pool process reports the step and
    # ends, and Celery starts another
    side = "k,v\n" + "".join(f"0,{i}\n" for i in range(4_500))
    document = graph(
        [
            node("left", "data.enter_data@1", csv=side),
            node("right", "data.enter_data@1", csv=side),
            node("join", "transform.join@1", keys=["k"]),
        ],
        [("left.dataset", "join.left"), ("right.dataset", "join.right")],
    )
    editor = team_tx.client("editor")
    gid = make_graph(editor, team_tx.workspace.pk, document)
    run = editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()
    join = steps(wait_for(editor, run["id"]))["join"]
    assert (join["status"], join["attempts"]) == ("failed", 1)
    assert join["error"] == (
        f"the step ran out of memory: the worker's limit is {WORKER_MEMORY_MB:,} MB "
        "(DESIGNER_WORKER_MAX_MEMORY_MB); the worker was stopped and replaced"
    )
    example = import_example(editor, team_tx.workspace.pk, "binary_breast_cancer")
    after = editor.post(f"/api/graphs/{example['id']}/runs/", {}, format="json").json()
    assert wait_for(editor, after["id"])["status"] == "succeeded"


def test_a_failed_celery_run_mails_its_watchers_from_the_worker(
    team_tx: Team, worker_inbox: Inbox
) -> None:
    """The worker that finishes the run sends the notice (this test process's mail goes to
    Django's in-memory outbox, never to the SMTP server)."""
    editor = team_tx.client("editor")
    gid = make_graph(editor, team_tx.workspace.pk, chain_document(1, FAILING))
    watched = editor.put(
        f"/api/graphs/{gid}/watch/", {"scope": "all", "recovered": True}, format="json"
    )
    assert watched.status_code == 200
    run = wait_for(editor, editor.post(f"/api/graphs/{gid}/runs/", {}, format="json").json()["id"])
    assert (run["status"], run["runner"]) == ("failed", "celery")

    def mails() -> list[tuple[list[str], Any]]:
        subject = f"(run {run['id']})"
        return [(to, m) for to, m in list(worker_inbox.received) if subject in m["Subject"]]

    deadline = time.monotonic() + 30
    while not mails():
        assert time.monotonic() < deadline, worker_inbox.received
        time.sleep(0.05)
    assert [to for to, _ in mails()] == [["editor@example.com"]]
    text = mails()[0][1].get_content()
    assert "ValueError: boom" in text and f"https://designer.example.com/runs/{run['id']}/" in text
