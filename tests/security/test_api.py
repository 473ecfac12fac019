"""The most important user-code attacks through the real HTTP API, with real runs on the
embedded local runner (the server's own worker pool, coordinator and database)."""

from __future__ import annotations

import re
import socket
import time

import pytest
from django.db import connection

from tests.integration.api.conftest import Team
from tests.integration.api.test_runs import steps, wait_for
from tests.support.sandbox import (
    iris_into,
    sandbox_files,
    sandbox_processes,
    script,
    start,
    table,
)

pytestmark = pytest.mark.django_db(transaction=True)


def database_file() -> str:
    return str(connection.settings_dict["NAME"])


def test_sql_cannot_attach_the_server_database(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    query = f"ATTACH DATABASE '{database_file()}' AS d;\nSELECT username, password FROM d.auth_user"
    run_id = start(
        editor, team_tx.workspace.pk, iris_into("transform.sql@1", "t1", {"query": query})
    )
    run = wait_for(editor, run_id)
    step = steps(run)["user"]
    assert run["status"] == "failed" and step["status"] == "failed"
    assert "ATTACH and VACUUM INTO is not available" in step["error"]
    log = editor.get(f"/api/runs/{run_id}/steps/user/log/").content.decode()
    assert "pbkdf2" not in step["error"] + log and "md5$" not in step["error"] + log


def test_a_script_reads_no_database_and_reaches_no_server(team_tx: Team) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    body = f"""
try:
    facts['db'] = open({database_file()!r}, 'rb').read(16)
except OSError as exc:
    facts['db'] = type(exc).__name__
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=2).close()
    facts['api'] = 'connected'
except OSError as exc:
    facts['api'] = type(exc).__name__
"""
    editor = team_tx.client("editor")
    try:
        params = {"code": script(body)}
        run_id = start(
            editor, team_tx.workspace.pk, iris_into("script.python@1", "dataset1", params)
        )
        assert wait_for(editor, run_id)["status"] == "succeeded"
        with pytest.raises(TimeoutError):
            server.accept()  # nothing ever connected
    finally:
        server.close()
    assert table(editor, run_id) == {"db": "'FileNotFoundError'", "api": "'ConnectionRefusedError'"}


def test_never_ending_queries_time_out_and_free_their_run_slots(team_tx: Team) -> None:
    editor = team_tx.client("editor")
    forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
    document = iris_into("transform.sql@1", "t1", {"query": forever, "timeout": 2})
    hogs = [start(editor, team_tx.workspace.pk, document) for _ in range(2)]  # both run slots
    after = start(
        editor,
        team_tx.workspace.pk,
        iris_into("transform.sql@1", "t1", {"query": "SELECT count(*) AS n FROM t1"}),
    )
    for run_id in hogs:
        step = steps(wait_for(editor, run_id))["user"]
        assert step["status"] == "failed" and step["error"].startswith("timeout: the query")
    assert wait_for(editor, after)["status"] == "succeeded"


def test_a_workspace_queueing_many_runs_holds_back_no_other_workspace(team_tx: Team) -> None:
    editor, outsider = team_tx.client("editor"), team_tx.client("outsider")
    forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
    hog = iris_into("transform.sql@1", "t1", {"query": forever, "timeout": 5})
    hogs = [start(editor, team_tx.workspace.pk, hog) for _ in range(2)]  # both run slots
    queued = [start(editor, team_tx.workspace.pk, hog) for _ in range(2)]
    quick = iris_into("transform.sql@1", "t1", {"query": "SELECT count(*) AS n FROM t1"})
    other = wait_for(outsider, start(outsider, team_tx.foreign.pk, quick), timeout=60)
    assert other["status"] == "succeeded"
    # a freed slot went to the other workspace before the queue of the one that held both:
    # its run was over before the second of those could start
    second = editor.get(f"/api/runs/{queued[1]}/").json()
    assert second["started_at"] is None or second["started_at"] >= other["finished_at"]
    from designer.runs import coordinator

    for run_id in hogs + queued:
        editor.post(f"/api/runs/{run_id}/cancel/")
    deadline = time.monotonic() + 30
    while any(coordinator.get().active(run_id) for run_id in hogs + queued):
        assert time.monotonic() < deadline, "canceled runs kept their threads"
        time.sleep(0.05)


@pytest.mark.alone
def test_a_canceled_run_leaves_no_process_and_no_file(team_tx: Team) -> None:
    before = sandbox_files()
    body = """
open('/tmp/scratch', 'w').write('x' * 1000)
open('/dev/shm/scratch', 'w').write('x' * 1000)
subprocess.Popen(['sleep', '300'], start_new_session=True)
print('working as', os.getuid(), flush=True)
time.sleep(300)
"""
    editor = team_tx.client("editor")
    params = {"code": script(body)}
    run_id = start(editor, team_tx.workspace.pk, iris_into("script.python@1", "dataset1", params))
    deadline = time.monotonic() + 60
    while b"working as" not in (log := editor.get(f"/api/runs/{run_id}/steps/user/log/").content):
        assert time.monotonic() < deadline, "the script never started"
        time.sleep(0.1)
    uid = int(re.search(rb"working as (\d+)", log).group(1))  # type: ignore[union-attr]
    assert len(sandbox_processes(uid)) >= 2  # the script and its sleep run as its uid
    assert editor.post(f"/api/runs/{run_id}/cancel/").status_code == 200
    from designer.runs import coordinator

    while coordinator.get().active(run_id):  # the step's worker is killed, the thread ends
        assert time.monotonic() < deadline + 30
        time.sleep(0.05)
    while sandbox_processes(uid):  # the sandbox dies with its worker (--die-with-parent)
        assert time.monotonic() < deadline + 40
        time.sleep(0.05)
    assert sandbox_files() - before == set()  # nothing new on the host
