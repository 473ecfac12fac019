"""`manage.py watch_run` prints a run's live stream and exits with the run's outcome."""

from __future__ import annotations

import subprocess
from typing import Any

from tests.integration.realtime.harness import PYTHON, ROOT, Database, Server
from tests.integration.realtime.script import run_script


def watch_run(database: Database, server: Server, run: int, token: str) -> subprocess.Popen:
    """Start the watcher against the test server."""
    return subprocess.Popen(
        [PYTHON, "manage.py", "watch_run", str(run), "--url", server.origin, "--token", token],
        cwd=ROOT,
        env=database.process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_watch_run_prints_the_live_stream_until_the_run_finishes(
    rt_database: Database, server: Server, team: dict[str, Any], run: int
) -> None:
    watcher = watch_run(rt_database, server, run, team["users"]["viewer"]["token"])
    assert watcher.stdout is not None
    first = watcher.stdout.readline()
    assert first.startswith(f"run {run} ") and "queued" in first
    server.control("produce", run=run, events=run_script(4))
    out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    lines = out.splitlines()
    assert "#1 run running" in lines
    assert any(
        line.startswith("#") and "n3 reused (attempt 0): reused: same" in line for line in lines
    )
    assert any(" n2 [stdout] n2: half" in line for line in lines)
    assert any(" n4 progress 50%" in line for line in lines)
    assert lines[-1].startswith("#") and " run succeeded in " in lines[-1]
    assert "ran 3, reused 1, failed 0" in lines[-1]


def test_watch_run_on_a_finished_run_prints_its_state_and_exits(
    rt_database: Database, server: Server, team: dict[str, Any], run: int
) -> None:
    server.control("produce", run=run, events=run_script(2))
    watcher = watch_run(rt_database, server, run, team["users"]["viewer"]["token"])
    out, _ = watcher.communicate(timeout=60)
    assert watcher.returncode == 0
    assert out.splitlines()[0].startswith(f"run {run} ") and "succeeded" in out.splitlines()[0]
    assert any(line.split()[:2] == ["n1", "succeeded"] for line in out.splitlines())


def test_watch_run_without_access_says_why_and_exits_2(
    rt_database: Database, server: Server, team: dict[str, Any], run: int
) -> None:
    watcher = watch_run(rt_database, server, run, team["users"]["outsider"]["token"])
    out, _ = watcher.communicate(timeout=60)
    assert watcher.returncode == 2
    assert out.startswith("error: not_found:")


def test_watch_run_resumes_after_the_server_restarts_with_no_gap_and_no_duplicate(
    rt_database: Database, team: dict[str, Any], run: int
) -> None:
    own = Server(rt_database)  # restarted below: the session's server stays up for the rest
    try:
        watcher = watch_run(rt_database, own, run, team["users"]["viewer"]["token"])
        assert watcher.stdout is not None
        assert watcher.stdout.readline().startswith(f"run {run} ")  # the snapshot, seq 1
        events = run_script(4)
        half = len(events) // 2
        last = own.control("produce", run=run, events=events[:half])["seqs"][-1]
        lines = []
        while not lines or not lines[-1].startswith(f"#{last} "):
            lines.append(watcher.stdout.readline().rstrip("\n"))
        own.restart()
        own.control("produce", run=run, events=events[half:])
        out, err = watcher.communicate(timeout=60)
        assert watcher.returncode == 0, err
        lines += out.splitlines()
        assert any(line.startswith("connection lost") and f"#{last}" in line for line in lines)
        numbered = [line for line in lines if line.startswith("#")]  # "#<seq> …" per event line
        assert len(numbered) == len(set(numbered))  # nothing printed twice
        seqs = [int(line.split()[0][1:]) for line in numbered]
        events_seen = [seq for i, seq in enumerate(seqs) if i == 0 or seq != seqs[i - 1]]
        assert events_seen == list(range(1, events_seen[-1] + 1))  # every event, in order
        assert "ran 3, reused 1, failed 0" in lines[-1]
    finally:
        own.stop()
